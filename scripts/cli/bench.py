"""``neural-render bench``: the foundation benchmarks (see scripts/bench/bench_worker.py)."""


def add_parser(subparsers):
    parser = subparsers.add_parser("bench", help="measure worker start-up, transport and memory",
                                   description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--skip-blender", action="store_true", help="skip the parts that need bpy")
    return parser


def run(args):
    from bench import bench_worker
    argv = (["--quick"] if args.quick else []) + (["--skip-blender"] if args.skip_blender else [])
    return bench_worker.main(argv)
