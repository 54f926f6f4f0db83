"""Random and mutated experiment JSON never crashes the loader: a valid spec or a clear SpecError."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.spec import Experiment, SpecError, loads_experiment, parse_experiment

VALID = Experiment().to_dict()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=True)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children,
                                                                         max_size=4),
    max_leaves=20,
)


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _paths(value, prefix + (i,))


ALL_PATHS = [p for p in _paths(VALID) if p]


def _set(obj, path, value):
    obj = json.loads(json.dumps(obj))
    target = obj
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return obj


def _outcome(load):
    try:
        spec = load()
    except SpecError as err:
        assert str(err).strip(), "a SpecError must say what is wrong"
        return None
    assert isinstance(spec, Experiment)
    # Whatever loads must serialise and load again to the same spec.
    assert parse_experiment(spec.to_dict()) == spec
    return spec


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_arbitrary_text_never_crashes(text):
    _outcome(lambda: loads_experiment(text))


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_arbitrary_json_never_crashes(value):
    _outcome(lambda: loads_experiment(json.dumps(value)))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ALL_PATHS), json_values)
def test_mutated_valid_spec_gives_valid_spec_or_clear_error(path, value):
    mutated = _set(VALID, path, value)
    spec = _outcome(lambda: parse_experiment(mutated))
    if spec is None:
        return
    assert spec.batch_size >= 1 and all(layer.units >= 1 for layer in spec.layers)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(ALL_PATHS))
def test_removing_any_key_gives_defaults_or_clear_error(path):
    mutated = json.loads(json.dumps(VALID))
    target = mutated
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    _outcome(lambda: parse_experiment(mutated))
