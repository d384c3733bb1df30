"""Optimising the image: L-BFGS (Gatys et al.'s choice, fewest network evaluations) or Adam (steady
memory, tolerant of noisy objectives), from the content, from noise or from a previous result.

The budget is counted in *objective evaluations* (network forward + backward passes), the unit of
cost, so L-BFGS line searches cannot silently overrun it.
"""

import torch

from ...protocol.specs.stylize import IMAGE

OPTIMIZERS = IMAGE["optimizer"].values
INITS = IMAGE["init"].values
LINE_SEARCH = "strong_wolfe"


def initial_image(kind, content, previous=None, seed=0):
    """(1, 3, H, W) starting point: the content, white-ish noise, or a previous result (warped frame)."""
    if kind not in INITS:
        raise ValueError(f"init must be one of {', '.join(INITS)}, got {kind!r}")
    if kind == "content":
        return content.clone()
    if kind == "previous":
        if previous is None:
            raise ValueError("init 'previous' needs a previous result")
        if previous.shape != content.shape:
            raise ValueError(f"the previous result is {tuple(previous.shape[-2:])}, the content "
                             f"{tuple(content.shape[-2:])}")
        return previous.clone()
    generator = torch.Generator().manual_seed(seed)
    noise = torch.rand(content.shape, generator=generator, dtype=content.dtype)
    return noise.to(content.device)


def optimise(objective, start, evaluations, optimizer="lbfgs", learning_rate=None, report=None):
    """Minimise ``objective`` from ``start`` for ``evaluations`` network passes; returns (image, parts).

    ``report(done, parts)`` is called after every evaluation: the caller's progress/cancel hook.
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {optimizer!r}")
    evaluations = int(evaluations)
    image = start.detach().clone().requires_grad_(True)
    if evaluations <= 0:
        return image.detach(), objective.evaluate(image.detach())
    state = {"done": 0, "best": None, "best_loss": float("inf"), "parts": {}}

    def closure():
        # torch's strong-Wolfe search may evaluate up to 25 times per iteration, past max_eval: the
        # budget is enforced here, and the best image seen is the result.
        if state["done"] >= evaluations:
            raise _BudgetExhausted
        current = image.detach()
        loss, parts, gradient = objective.value_and_grad(current)
        # contiguous: without the TV term the gradient comes straight from the network's first layer in
        # a channel-flipped (BGR) stride that L-BFGS's flat view cannot take.
        image.grad = gradient.contiguous()
        state["done"] += 1
        if float(loss) < state["best_loss"]:
            state["best_loss"], state["best"], state["parts"] = float(loss), current.clone(), parts
        if report is not None:
            report(state["done"], parts)
        return loss

    try:
        if optimizer == "lbfgs":
            # With a strong-Wolfe line search: without one, the first quasi-Newton steps of the normalised
            # objective can jump into a region where every ReLU is off and the gradient is zero (measured:
            # stuck from noise).
            solver = torch.optim.LBFGS([image], lr=learning_rate or 1.0, max_iter=evaluations, max_eval=evaluations,
                                       history_size=50, tolerance_grad=0.0, tolerance_change=0.0,
                                       line_search_fn=LINE_SEARCH)
            solver.step(closure)
        else:
            solver = torch.optim.Adam([image], lr=learning_rate or 0.02)
            for _ in range(evaluations):
                solver.zero_grad(set_to_none=True)
                closure()
                solver.step()
    except _BudgetExhausted:
        pass
    if state["best"] is None:
        return image.detach(), objective.evaluate(image.detach())
    return state["best"], dict(state["parts"])


class _BudgetExhausted(Exception):
    pass
