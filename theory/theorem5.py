"""Theorem 5: the two-sided Dyck-k language is exactly the support of a stochastic AP-MDM.

Statement [paper]: for k ≥ 2 there is a stochastic AP-MDM whose support (the set of outputs
it produces with positive probability) is exactly the two-sided Dyck-k language, while any
fixed ARM fails to have that support beyond some length (membership is the word problem of
the free group, NC¹-hard; a constant-depth transformer step is in TC⁰).

Our reconstruction [decision] (see :mod:`constructions.dyck.apmdm`): pair insertion in rounds
of 3 g-steps (open a gap, double the mask, fill with x, x⁻¹) and one final step writing EOS
into the end slot. For a word of length n = 2m this gives, exactly,

* steps   = 3·m + 1 = (3/2)·n + 1,
* context = n + 2 (BOS, the word, the end slot).

Per-position sampling [decision] (:mod:`constructions.dyck.per_position`, the paper's kind of
randomness: every position samples its own y and c independently): rounds of 4 g-steps (each
gap inserts independently; decide: stop if no gap inserted, else double every new mask; each
pair's left mask samples x; the right mask copies x⁻¹), on the canvas ``BOS w SEP MASK...``.
A word of length n = 2m built in r rounds (1 ≤ r ≤ m; r = 0 for n = 0) takes 4r + 2 steps
(each round 4, then the last grow and the stopping decide); the most over all runs, one pair
per round, is

* steps   ≤ 4·m + 2 = 2·n + 2 (met by every word: reverse a reduction one pair at a time),
* context = n + 4 (BOS, the word, SEP and two suffix masks at the last grow step), exactly.

The ARM side is an illustration (:mod:`constructions.dyck.arm_illustration`): a stop rule of
``depth`` cancellation rounds fails first at length 2·depth + 2.

Pure: only sympy.
"""

from __future__ import annotations

import sympy

n = sympy.Symbol("n", integer=True, nonnegative=True)
depth = sympy.Symbol("d", integer=True, nonnegative=True)

STATEMENT = (
    "For k >= 2 some stochastic AP-MDM has support exactly the two-sided Dyck-k language; "
    "any fixed ARM fails to cover it beyond some length (NC1-hardness of the word problem "
    "vs TC0 constant-depth transformers)."
)
RECONSTRUCTION = (
    "Generator (per-position sampling, the paper's kind of randomness): rounds of 4 g-steps on "
    "BOS w SEP MASK (every gap sets its insert bit independently; stop if none did, else "
    "double each new mask; each pair's left mask samples x, the right one writes x^-1). "
    "Variant (joint draw): rounds of 3 g-steps (insert one mask at a random gap; keep it "
    "masked and insert a second; fill the pair with a random x, x^-1), then one step writing "
    "EOS. Randomness is an explicit seeded draw given to f. ARM side: fixed-depth stop rules, "
    "an illustration only."
)

STEPS_A = sympy.Rational(3, 2)
STEPS_B = sympy.Integer(1)
CONTEXT_C = sympy.Integer(1)
CONTEXT_D = sympy.Integer(2)

# Tightness [decision, from the rounds]: both bounds are met exactly by every reached word of
# length n (the support check holds them from below with these gaps).
STEPS_SLACK = 0
CONTEXT_SLACK = 0
STEPS_BOUND = STEPS_A * n + STEPS_B          # steps to generate a word of length n
CONTEXT_BOUND = CONTEXT_C * n + CONTEXT_D    # largest canvas on the way
ROUND_RULE_FIRST_FAILURE = 2 * depth + 2     # first length a depth-d round rule misses

# Per-position generator: most steps over all runs to a word of length n, and the context of
# every run (derivation in the module docstring). Both are met exactly by every reached word
# (the support check holds them from below with these gaps).
PER_POSITION_STEPS_A = sympy.Integer(2)
PER_POSITION_STEPS_B = sympy.Integer(2)
PER_POSITION_CONTEXT_D = sympy.Integer(4)
PER_POSITION_STEPS_SLACK = 0
PER_POSITION_CONTEXT_SLACK = 0
PER_POSITION_STEPS_BOUND = PER_POSITION_STEPS_A * n + PER_POSITION_STEPS_B
PER_POSITION_CONTEXT_BOUND = n + PER_POSITION_CONTEXT_D


def _eval(expr: sympy.Expr, **values: int) -> int:
    out = expr.subs({sympy.Symbol(k, integer=True, nonnegative=True): v
                     for k, v in values.items()})
    if not out.is_integer:
        raise ValueError(f"bound {expr} is not an integer at {values}")
    return int(out)


def _even(length: int) -> int:
    if length % 2:
        raise ValueError(f"Dyck words have even length, got {length}")
    return length


def steps_bound(length: int) -> int:
    """Steps the pair-insertion generator takes for a word of even ``length``."""
    return _eval(STEPS_BOUND, n=_even(length))


def context_bound(length: int) -> int:
    return _eval(CONTEXT_BOUND, n=length)


def round_rule_first_failure(d: int) -> int:
    return _eval(ROUND_RULE_FIRST_FAILURE, d=d)


def per_position_steps_bound(length: int) -> int:
    """Most steps of the per-position generator over all runs to a word of even ``length``."""
    return _eval(PER_POSITION_STEPS_BOUND, n=_even(length))


def per_position_context_bound(length: int) -> int:
    return _eval(PER_POSITION_CONTEXT_BOUND, n=length)
