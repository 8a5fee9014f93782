"""Analysis: tokens, sentiment, monitoring schemes, unit attribution and risk level, with explanations."""
