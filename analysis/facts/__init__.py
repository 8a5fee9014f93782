"""Facts a duty officer grades a post by — who was hurt, how many, minors, a gathering, officials' misconduct,
urgency — as a registry of named risk contributions (catalogue.py, schema in schema.py) found on whole words
(finder.py)."""

from analysis.facts.finder import CORROBORATING, FACTS, HARM, WEIGHED, FactHit, fact_words, find_facts
from analysis.facts.schema import Fact, FactRegistryError

__all__ = [
    "CORROBORATING",
    "FACTS",
    "HARM",
    "WEIGHED",
    "Fact",
    "FactHit",
    "FactRegistryError",
    "fact_words",
    "find_facts",
]
