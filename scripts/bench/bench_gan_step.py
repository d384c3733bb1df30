"""Time the exemplar GAN's training step and a 2048 x 2048 texture with the generator channels-last
(what a CPU model uses) and in PyTorch's default layout, side by side in one run.

    .venv/bin/python scripts/bench/bench_gan_step.py [--threads 2] [--rounds 6] [--steps 10]

Both models start from the same seed and train on the same Blender-rendered exemplar as
scripts/bench/bench_gan.py. The layouts take turns, ``--steps`` training steps each per round, so both
see the same machine state; figures are medians over all timed steps (after a warm-up).
"""

import argparse
import os
import statistics
import sys
import time

if __name__ == "__main__":  # run as a file: scripts/ is the import root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402
from bench import machine  # noqa: E402


def timed(action):
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--steps", type=int, default=10, help="training steps per layout and round")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps per layout first")
    args = parser.parse_args(argv)

    addon_path.install()
    import torch
    torch.set_num_threads(args.threads)
    from fixtures.gan_exemplar import render_exemplar
    from neural_render.worker.gan import generate
    from neural_render.worker.gan.exemplar_gan import ExemplarGan

    exemplar = render_exemplar(256)
    layouts = {"channels-last": torch.channels_last, "default (contiguous)": torch.contiguous_format}
    models = {}
    for name, memory_format in layouts.items():
        model = ExemplarGan(seed=0)
        for generator in (model.generator, model.trainer.ema.model):
            generator.use_memory_format(memory_format)
        model.attach_exemplar(exemplar)
        for _ in range(args.warmup):
            model.trainer.step()
        models[name] = model

    def generator_pass(model):
        fake = model.fake_batch(model.generator, model.settings.batch_size)
        fake.mean().backward()

    def texture(model):
        generate.generate(model.sampler, model.scale, 2048, 2048, seed=1, tileable=True)

    step_times = {name: [] for name in layouts}
    pass_times = {name: [] for name in layouts}
    texture_times = {name: [] for name in layouts}
    for name, model in models.items():
        texture(model)  # warm-up: calibration and the first large allocation
    for _ in range(args.rounds):
        for name, model in models.items():
            step_times[name] += [timed(model.trainer.step) for _ in range(args.steps)]
            pass_times[name] += [timed(lambda: generator_pass(model)) for _ in range(3)]
            model.generator.zero_grad(set_to_none=True)
            texture_times[name].append(timed(lambda: texture(model)))

    print(f"machine: {machine.description()}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads; {args.rounds} rounds of {args.steps} steps per layout")
    print("| generator layout | training step (median) | generator forward+backward, batch 16 | 2048² tileable texture |")
    print("|---|---|---|---|")
    medians = {}
    for name in layouts:
        medians[name] = [statistics.median(times) for times in (step_times[name], pass_times[name],
                                                                  texture_times[name])]
        step, generator, tile = medians[name]
        print(f"| {name} | {step * 1000:.1f} ms | {generator * 1000:.1f} ms | {tile:.2f} s |")
    fast, slow = (medians[name] for name in layouts)
    print(f"| ratio (default / channels-last) | {slow[0] / fast[0]:.2f}x | {slow[1] / fast[1]:.2f}x | "
          f"{slow[2] / fast[2]:.2f}x |")


if __name__ == "__main__":
    main()
