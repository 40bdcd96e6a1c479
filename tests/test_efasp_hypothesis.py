"""Reference evaluator == compiled transformer on random E-FASP programs (random
compositions of the primitives over small domains), node by node, on random canvases."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apmdm.constructions.efasp import Program, compile_program, evaluate, reference_step
from apmdm.machines.tokens import MASK

N = 8
OPS = ["linear", "compare", "max", "min", "select", "and", "or", "not", "xor", "lookup", "mul",
       "rightmost_match", "seq_max", "seq_min", "seq_sum", "seq_mean_cmp", "prefix_mean_cmp",
       "quotient", "count_match"]


@st.composite
def programs(draw):
    p = Program("random", (("a", 0, 3), ("b", -2, 2)), lambda t: t, lambda f: f)
    feats = [p.token_field("a"), p.token_field("b"), p.position("pos"), p.is_mask("m")]
    bools = [feats[3]]
    types = lambda f: p.node(f.name)  # noqa: E731

    def dom(f):
        from apmdm.constructions.efasp.typecheck import check_program
        t = check_program(_with_output(p, f), N)[f.name]
        return t.lo, t.hi

    def pick():
        return draw(st.sampled_from(feats))

    def pick_bool():
        return draw(st.sampled_from(bools))

    for k in range(draw(st.integers(1, 7))):
        op = draw(st.sampled_from(OPS))
        nm = f"n{k}"
        if op == "linear":
            out = p.linear([(pick(), draw(st.integers(-2, 2))), (pick(), draw(st.integers(-2, 2)))],
                           draw(st.integers(-3, 3)), name=nm)
        elif op == "compare":
            out = p.compare(pick(), draw(st.sampled_from(["<", "<=", ">", ">=", "==", "!="])),
                            pick(), name=nm)
            bools.append(out)
        elif op in ("max", "min"):
            out = getattr(p, op)(pick(), pick(), name=nm)
        elif op == "select":
            out = p.select(pick_bool(), pick(), pick(), name=nm)
        elif op in ("and", "or"):
            out = getattr(p, op + "_")(pick_bool(), pick_bool(), name=nm)
            bools.append(out)
        elif op in ("not", "xor"):
            out = p.not_(pick_bool(), name=nm) if op == "not" else p.xor(pick_bool(), pick_bool(),
                                                                         name=nm)
            bools.append(out)
        elif op == "lookup":
            x = pick()
            lo, hi = dom(x)
            if hi - lo > 40:
                continue
            table = {v: draw(st.integers(-5, 5)) for v in range(lo, hi + 1)
                     if draw(st.booleans())}
            out = p.lookup(x, table, draw(st.integers(-2, 2)), name=nm)
        elif op == "mul":
            x, y = pick(), pick()
            if min(dom(x)[1] - dom(x)[0], dom(y)[1] - dom(y)[0]) > 30:
                continue
            out = p.mul(x, y, name=nm)
        elif op == "rightmost_match":
            where = pick_bool() if draw(st.booleans()) else None
            out = p.rightmost_match(pick(), pick(), pick(), where, draw(st.integers(-3, 3)),
                                    name=nm)
        elif op == "quotient":
            divisor = p.max(pick(), draw(st.integers(1, 3)), name=nm + "d")
            out = p.quotient(pick(), divisor, name=nm)
        elif op == "count_match":
            def side():
                return draw(st.sampled_from([0, 1])) if draw(st.integers(0, 4)) == 0 \
                    else pick_bool()
            pairs = [(side(), side()) for _ in range(draw(st.integers(0, 3)))]
            where = pick_bool() if draw(st.booleans()) else None
            out = p.count_match(pairs, where, name=nm)
        elif op in ("seq_max", "seq_min"):
            where = pick_bool() if draw(st.booleans()) else None
            out = getattr(p, op)(pick(), where, draw(st.integers(-3, 3)), name=nm)
        elif op == "seq_sum":
            where = pick_bool() if draw(st.booleans()) else None
            out = p.seq_sum(pick(), where, name=nm)
        else:
            where = pick_bool() if draw(st.booleans()) else None
            mean = p.seq_mean(pick(), where, prefix=op.startswith("prefix"), name=nm + "m")
            shifted = p.linear([(mean, 1), (pick(), draw(st.integers(-1, 1)))], name=nm + "s")
            out = p.compare(shifted, draw(st.sampled_from(["<", "<=", ">", ">=", "==", "!="])),
                            draw(st.integers(-2, 2)), name=nm)
            bools.append(out)
        feats.append(out)
    ints = [f for f in feats]
    p.output_fields(draw(st.sampled_from(ints)), draw(st.sampled_from(ints)))
    p.output_controls(remask=pick_bool(), insert=pick_bool(), delete=pick_bool())
    del types
    return p


def _with_output(p: Program, f) -> Program:
    q = Program(p.name, p.fields, p.encode, p.decode, list(p.nodes))
    q.output_fields(f.name, f.name)
    return q


canvases = st.lists(st.one_of(st.just(MASK), st.tuples(st.integers(0, 3), st.integers(-2, 2))),
                    min_size=1, max_size=N)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.data_too_large])
@given(programs(), st.lists(canvases, min_size=1, max_size=3))
def test_compiled_equals_reference_on_random_programs(program, cs):
    model = compile_program(program, N)
    f = model.next_step()
    for canvas in cs:
        canvas = tuple(canvas)
        model.check_against(canvas, evaluate(program, canvas, N))
        assert f(canvas) == reference_step(program, canvas, N)
