"""The two-sided Dyck-k language (the word problem of the free group on k generators).

Alphabet: the letters ``1..k`` stand for the generators ``a_1..a_k`` and ``-1..-k`` for their
inverses. A word is a tuple of such letters. *Free reduction* cancels any adjacent pair
``x, -x``; both orders cancel (``a·a⁻¹`` and ``a⁻¹·a``), which is what makes the language
"two-sided" (the one-sided Dyck language only cancels ``a·a⁻¹``). Every word has a unique
reduced form (the free group is confluent), computed here with a stack in one left-to-right
pass. The two-sided Dyck-k language is the set of words whose reduced form is empty.

Independent ways to get at the language, used to cross-check each other:

* :func:`enumerate_members` walks the Cayley tree: it extends a word letter by letter keeping
  the reduced prefix, and prunes a prefix whose reduced length exceeds the letters left.
  It yields exactly the members of a given length, in lexicographic order of
  :func:`alphabet`.
* :func:`enumerate_by_filter` is brute force: every word of the length, kept iff it reduces
  to empty (|alphabet|^n words; small n only).
* :func:`count_by_transfer` counts closed walks of length n at the root of the 2k-regular
  tree with a depth transfer matrix: from depth 0 there are 2k ways down, from depth d ≥ 1
  one way up and 2k − 1 ways down.
* :func:`count_by_generating_function` reads the counts off Kesten's return generating
  function of the d-regular tree (d = 2k):
  ``G(z) = 2(d−1) / (d − 2 + d·sqrt(1 − 4(d−1)z²))``, expanded with sympy.

Pure: imports nothing of the toolkit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import product

import sympy

Word = tuple[int, ...]


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")


def _check_length(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"word length must be a non-negative integer, got {n!r}")


def alphabet(k: int) -> tuple[int, ...]:
    """The 2k letters in their fixed order: ``1, -1, 2, -2, ..., k, -k``."""
    _check_k(k)
    out: list[int] = []
    for i in range(1, k + 1):
        out.extend((i, -i))
    return tuple(out)


def is_letter(x: object, k: int) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x != 0 and -k <= x <= k


def letter_name(x: int) -> str:
    """``1 -> "a"``, ``-1 -> "A"``, ``2 -> "b"``, ... (``a27``/``A27`` beyond 26)."""
    if isinstance(x, bool) or not isinstance(x, int) or x == 0:
        raise ValueError(f"not a letter: {x!r}")
    i = abs(x)
    base = chr(ord("a") + i - 1) if i <= 26 else f"a{i}"
    return base if x > 0 else base.upper()


def word_name(word: Sequence[int]) -> str:
    """A readable rendering, e.g. ``(1, 2, -2, -1) -> "abBA"``; the empty word is ``"ε"``."""
    return "".join(letter_name(x) for x in word) or "ε"


def inverse(word: Sequence[int]) -> Word:
    """The group inverse: reverse the word and invert every letter."""
    return tuple(-x for x in reversed(word))


def reduce_word(word: Sequence[int]) -> Word:
    """The freely reduced form: cancel adjacent ``x, -x`` (either order) until none is left."""
    stack: list[int] = []
    for x in word:
        if stack and stack[-1] == -x:
            stack.pop()
        else:
            stack.append(x)
    return tuple(stack)


def is_member(word: Sequence[int], k: int | None = None) -> bool:
    """True iff ``word`` is in the two-sided Dyck language (over ``k`` generators, if given:
    then every letter must be one of the 2k letters)."""
    if k is not None:
        _check_k(k)
        if not all(is_letter(x, k) for x in word):
            return False
    return not reduce_word(word)


def enumerate_members(k: int, n: int) -> Iterator[Word]:
    """Every member of length ``n`` exactly, by a pruned walk on the Cayley tree."""
    _check_k(k)
    _check_length(n)
    if n % 2:
        return
    letters = alphabet(k)
    word: list[int] = []
    stack: list[int] = []

    def walk(left: int) -> Iterator[Word]:
        if left == 0:
            yield tuple(word)
            return
        for x in letters:
            if stack and stack[-1] == -x:
                top = stack.pop()
                word.append(x)
                yield from walk(left - 1)
                word.pop()
                stack.append(top)
            elif len(stack) + 1 <= left - 1:
                stack.append(x)
                word.append(x)
                yield from walk(left - 1)
                word.pop()
                stack.pop()

    yield from walk(n)


def enumerate_by_filter(k: int, n: int) -> Iterator[Word]:
    """Every member of length ``n``, by brute force over all (2k)^n words."""
    _check_k(k)
    _check_length(n)
    for word in product(alphabet(k), repeat=n):
        if not reduce_word(word):
            yield word


def count_by_transfer(k: int, n: int) -> int:
    """Number of members of length ``n``: closed walks of length n on the 2k-regular tree."""
    _check_k(k)
    _check_length(n)
    counts = [1]  # counts[d] = walks ending at depth d
    for _ in range(n):
        nxt = [0] * (len(counts) + 1)
        for d, c in enumerate(counts):
            if not c:
                continue
            if d == 0:
                nxt[1] += 2 * k * c
            else:
                nxt[d - 1] += c
                nxt[d + 1] += (2 * k - 1) * c
        counts = nxt
    return counts[0]


def return_generating_function(k: int) -> sympy.Expr:
    """Kesten's generating function of returns to the root of the 2k-regular tree."""
    _check_k(k)
    z = sympy.Symbol("z")
    d = 2 * k
    return 2 * (d - 1) / (d - 2 + d * sympy.sqrt(1 - 4 * (d - 1) * z**2))


def count_by_generating_function(k: int, max_length: int) -> list[int]:
    """Member counts for lengths ``0..max_length`` from the series of
    :func:`return_generating_function`."""
    _check_k(k)
    _check_length(max_length)
    z = sympy.Symbol("z")
    series = sympy.series(return_generating_function(k), z, 0, max_length + 1).removeO()
    poly = sympy.Poly(sympy.expand(series), z)
    out = []
    for n in range(max_length + 1):
        c = sympy.nsimplify(poly.coeff_monomial(z**n))
        if not c.is_integer:
            raise ArithmeticError(f"non-integer coefficient {c} at z^{n}")
        out.append(int(c))
    return out
