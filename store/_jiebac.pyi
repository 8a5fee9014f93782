"""store/_jiebac.c: jieba's accurate and search modes, compiled, on a copy of jieba's dictionary."""

class Segmenter:
    size: int
    total: int
    def __init__(
        self,
        freq: dict[str, int],
        total: int,
        start_p: dict[str, float],
        trans_p: dict[str, dict[str, float]],
        emit_p: dict[str, dict[str, float]],
    ) -> None: ...
    def cut(self, text: str, search: bool = False, words_only: bool = True) -> list[str]: ...
    def add_word(self, word: str, freq: int, total: int, /) -> None: ...
    def get(self, word: str, /) -> int | None: ...
