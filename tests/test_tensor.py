"""Tensor behaviour: dtypes, the backward engine, no_grad, seeding, errors on bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mininn
import mininn.functional as F
from mininn import Function, GradcheckError, Tensor, gradcheck, no_grad

# -- construction and dtypes ------------------------------------------------------------------


def test_python_data_becomes_float32():
    assert Tensor(3).dtype == np.float32
    assert Tensor([1, 2, 3]).dtype == np.float32
    assert Tensor([[1.5, 2.0]]).shape == (1, 2)


def test_numpy_arrays_keep_float64_and_integers():
    assert Tensor(np.zeros(2)).dtype == np.float64
    assert Tensor(np.zeros(2, np.float16)).dtype == np.float32
    assert Tensor(np.arange(3)).dtype == np.int64
    assert Tensor([1, 2], dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize("bad", [["a", "b"], "text", {"a": 1}, [object()], None, [1, [2, 3]]])
def test_non_numeric_data_is_refused(bad):
    with pytest.raises(TypeError, match="numer|numbers"):
        Tensor(bad)


def test_complex_data_is_refused():
    with pytest.raises(TypeError, match="complex|numbers"):
        Tensor(np.array([1 + 2j]))


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match="floating"):
        Tensor(np.arange(3), requires_grad=True)


def test_attributes_and_conversions():
    x = Tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    assert x.shape == (1, 3) and x.ndim == 2 and x.size == 3 and len(x) == 1
    assert x.is_leaf and x.grad_fn is None
    assert isinstance(x.numpy(), np.ndarray) and x.numpy() is x.data
    assert Tensor([4.0]).item() == 4.0
    with pytest.raises(ValueError, match="exactly one element"):
        x.item()
    y = x * 2
    assert not y.is_leaf and y.grad_fn is F.Mul
    assert "grad_fn=Mul" in repr(y)
    d = y.detach()
    assert not d.requires_grad and d.data is y.data


def test_scalar_operands_keep_the_tensor_dtype():
    x32 = Tensor(np.ones(2, np.float32))
    x64 = Tensor(np.ones(2, np.float64))
    for y in (x32 * 2.5, 2.5 * x32, x32 + np.float64(1), x32 / 3, 1 - x32, x32**2):
        assert y.dtype == np.float32
    assert (x64 * 2.5).dtype == np.float64


def test_comparisons_give_bool_tensors_without_grad():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for r in (x > 1.5, x >= 2, x < 2, x <= 2, x == 2, x != 2):
        assert r.dtype == np.bool_ and not r.requires_grad
    np.testing.assert_array_equal((x > 1.5).data, [False, True, True])


# -- the backward engine ----------------------------------------------------------------------


def test_gradient_of_a_simple_expression_matches_closed_form():
    x = Tensor([1.0, -2.0, 3.0], requires_grad=True, dtype=np.float64)
    y = ((x * x).sum() + (3 * x).exp().sum()) / 2
    y.backward()
    np.testing.assert_allclose(x.grad, x.data + 1.5 * np.exp(3 * x.data), rtol=1e-12)


def test_gradients_accumulate_across_backward_calls():
    x = Tensor([2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad, [6.0])
    x.zero_grad()
    assert x.grad is None


def test_a_tensor_used_twice_gets_both_contributions():
    x = Tensor(3.0, requires_grad=True)
    (x * x + x).backward()  # d/dx (x^2 + x) = 2x + 1
    assert x.grad == pytest.approx(7.0)


def test_long_chain_does_not_hit_the_recursion_limit():
    x = Tensor([1.0], requires_grad=True, dtype=np.float64)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    assert x.grad[0] == pytest.approx(1.0001**10_000, rel=1e-9)


def test_diamond_graph_visits_each_node_once():
    x = Tensor(2.0, requires_grad=True, dtype=np.float64)
    a = x * 3
    y = a * a + a  # a is used twice; x reaches y through two paths
    y.backward()
    assert x.grad == pytest.approx((2 * 6 + 1) * 3)


def test_broadcast_gradients_are_summed_to_the_input_shape():
    x = Tensor(np.ones((4, 3)), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    c = Tensor(np.ones((4, 1)), requires_grad=True)
    (x * b + c).sum().backward()
    assert b.grad.shape == (3,) and np.all(b.grad == 4)
    assert c.grad.shape == (4, 1) and np.all(c.grad == 3)
    assert x.grad.shape == (4, 3)


def test_grads_have_the_dtype_of_their_tensor():
    x = Tensor(np.ones(3, np.float32), requires_grad=True)
    w = Tensor(np.ones(3, np.float64), requires_grad=True)
    (x * w).sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float64


def test_non_scalar_backward_needs_an_explicit_grad():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\).*y\.sum\(\)\.backward\(\)"):
        y.backward()
    y.backward(np.full((2, 3), 0.5))
    np.testing.assert_allclose(x.grad, np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"grad has shape \(3,\).*\(2, 3\)"):
        y.backward(np.ones(3))


def test_backward_without_requires_grad_explains():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Tensor([1.0]) * 2).sum().backward()


def test_retain_grad_keeps_intermediate_gradients():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = (x * 3).retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad, 2 * h.data)
    np.testing.assert_allclose(x.grad, 18 * x.data)


def test_non_leaf_gradients_are_not_kept_by_default():
    x = Tensor([1.0], requires_grad=True)
    h = x * 2
    h.sum().backward()
    assert h.grad is None and x.grad is not None


def test_no_grad_records_nothing_and_restores():
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        assert not mininn.is_grad_enabled()
        y = x * 2
        with mininn.enable_grad():
            z = x * 2
    assert mininn.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf
    assert z.requires_grad

    @no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad


def test_backward_that_returns_a_wrong_shape_is_named():
    class Bad(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, grad):
            return np.ones(7)

    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError, match=r"Bad\.backward.*\(7,\).*\(3,\)"):
        Bad.apply(x).sum().backward()


def test_backward_that_returns_too_few_gradients_is_named():
    class Bad(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, grad):
            return grad

    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Bad\.backward returned 1 gradients for 2 inputs"):
        Bad.apply(x, x).sum().backward()


# -- functional values ------------------------------------------------------------------------


def test_softmax_family_is_stable_for_huge_inputs():
    x = Tensor(np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]]), requires_grad=True)
    s = F.softmax(x, axis=1)
    ls = F.log_softmax(x, axis=1)
    lse = F.logsumexp(x, axis=1)
    for t in (s, ls, lse):
        assert np.all(np.isfinite(t.data))
    np.testing.assert_allclose(s.data, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-7)
    np.testing.assert_allclose(lse.data, [1e4, -1e4 + math.log(3)], rtol=1e-12)
    np.testing.assert_allclose(ls.data[1], [-math.log(3)] * 3, rtol=1e-12)
    assert ls.data[0, 0] == 0 and ls.data[0, 1] == -2e4
    (s[:, 0].sum() + ls[:, 0].sum() + lse.sum()).backward()
    assert np.all(np.isfinite(x.grad))


def test_logsumexp_of_all_minus_infinity():
    out = F.logsumexp(Tensor(np.full(3, -np.inf)))
    assert out.item() == -np.inf


def test_sigmoid_is_stable_and_exact():
    x = np.array([-1e4, -50.0, -1.0, 0.0, 1.0, 50.0, 1e4])
    with np.errstate(over="raise"):
        s = F.sigmoid(Tensor(x)).data
    np.testing.assert_allclose(s[1:-1], 1 / (1 + np.exp(-x[1:-1])), rtol=1e-12)
    assert s[0] == 0 and s[-1] == 1


def test_max_splits_gradient_between_ties():
    x = Tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad, [0, 0.5, 0.5])


@pytest.mark.parametrize(
    ("expr", "reference"),
    [
        (lambda t: t.sum(axis=1, keepdims=True), lambda a: a.sum(axis=1, keepdims=True)),
        (lambda t: t.mean(axis=0), lambda a: a.mean(axis=0)),
        (lambda t: t.max(axis=-1), lambda a: a.max(axis=-1)),
        (lambda t: t.T, lambda a: a.T),
        (lambda t: t.transpose(0, 1), lambda a: a.swapaxes(0, 1)),
        (lambda t: t.reshape(6, 2), lambda a: a.reshape(6, 2)),
        (lambda t: t[1:, ::2], lambda a: a[1:, ::2]),
        (lambda t: t.relu(), lambda a: np.maximum(a, 0)),
        (lambda t: t.tanh(), np.tanh),
        (lambda t: t.abs().sqrt(), lambda a: np.sqrt(np.abs(a))),
        (lambda t: F.concatenate([t, t], axis=1), lambda a: np.concatenate([a, a], axis=1)),
        (lambda t: F.stack([t, t], axis=-1), lambda a: np.stack([a, a], axis=-1)),
    ],
)
def test_forward_values_match_numpy(expr, reference):
    a = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_allclose(expr(Tensor(a)).data, reference(a), rtol=1e-12)


# -- bad input --------------------------------------------------------------------------------


def test_matmul_shape_mismatch_names_both_shapes():
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4, 5\)"):
        a @ b
    with pytest.raises(ValueError, match=r"\(3,\) and \(4,\)"):
        F.matmul(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="at least one dimension"):
        F.matmul(Tensor(2.0), a)
    with pytest.raises(ValueError, match=r"batch dimensions"):
        F.matmul(np.ones((2, 3, 4)), np.ones((3, 4, 5)))


def test_broadcast_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4,\)"):
        Tensor(np.ones((2, 3))) + Tensor(np.ones(4))


def test_bad_axes_reshape_and_index_are_clear():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        x.sum(axis=2)
    with pytest.raises(ValueError, match=r"cannot reshape .*\(2, 3\).* into shape \(4,\)"):
        x.reshape(4)
    with pytest.raises(IndexError, match=r"shape \(2, 3\)"):
        x[5]
    with pytest.raises(ValueError, match="not an ordering"):
        x.permute(0, 0)
    with pytest.raises(ValueError, match="one shape"):
        F.stack([x, Tensor(np.ones(3))])
    with pytest.raises(ValueError, match="differ on another axis"):
        F.concatenate([x, Tensor(np.ones((3, 3)))], axis=1)
    with pytest.raises(TypeError, match="list or tuple"):
        F.concatenate(x)


def test_manual_seed_makes_random_tensors_repeatable():
    mininn.manual_seed(123)
    a = mininn.randn(3, 4)
    b = mininn.rand(2)
    mininn.manual_seed(123)
    np.testing.assert_array_equal(a.data, mininn.randn(3, 4).data)
    np.testing.assert_array_equal(b.data, mininn.rand(2).data)
    assert a.dtype == np.float32 and a.shape == (3, 4)
    with pytest.raises(ValueError, match="non-negative integer"):
        mininn.manual_seed(-1)


# -- gradcheck itself -------------------------------------------------------------------------


class WrongSquare(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * a  # should be 2 * a


def test_gradcheck_reports_small_errors_for_correct_functions():
    errs = gradcheck(lambda x, y: (x * y).sum(), np.ones(3), np.arange(3.0))
    assert len(errs) == 2 and max(errs) < 1e-8


def test_gradcheck_catches_a_wrong_backward_and_names_input_and_index():
    x = np.array([[0.5, -1.0], [2.0, 1.5]])
    with pytest.raises(GradcheckError, match=r"input 0 \(shape \(2, 2\)\): at index \(\d, \d\)"):
        gradcheck(WrongSquare, x)
    errs = gradcheck(WrongSquare, x, raise_exception=False)
    assert errs[0] > 0.1


def test_gradcheck_names_the_failing_input():
    def f(a, b):
        return WrongSquare.apply(b) + a

    with pytest.raises(GradcheckError, match="input 1"):
        gradcheck(f, np.ones(2), np.full(2, 3.0))


def test_gradcheck_passes_integer_inputs_through():
    errs = gradcheck(lambda x, idx: x[idx], np.arange(4.0), np.array([0, 0, 3]))
    assert errs[1] is None and errs[0] < 1e-8
