"""The ``minigrad`` command: draw an expression's graph, list the demos, print versions.

    minigrad draw "tanh(w*x + b)" --set x=2,w=-3,b=6.88 --mode both -o graph.svg
    minigrad demos
    minigrad demos run xor --quick
    minigrad info

Exit codes: 0 success, 1 a failure while computing or rendering, 2 bad usage (including an
expression outside the allowed language).
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import platform
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import minigrad
from minigrad.viz.dot import RANKDIRS
from minigrad.viz.rendering import DEFAULT_TIMEOUT

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minigrad",
        description="minigrad: draw computation graphs, list the demos, show versions.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    draw = commands.add_parser(
        "draw",
        help="draw the graph of a scalar expression with its values and gradients",
        description=(
            "Draw the computation graph of EXPR. EXPR may use names, numbers, + - * / **, "
            "unary -, parentheses and relu() tanh() sigmoid() exp() log(); it is parsed "
            "safely, never evaluated as Python."
        ),
    )
    draw.add_argument("expression", metavar="EXPR", help='for example "tanh(w*x + b)"')
    draw.add_argument("--set", dest="assignments", action="append", metavar="NAME=NUMBER,...",
                      help="values of the names, e.g. --set x=2,w=-3 (may be repeated)")
    draw.add_argument("--mode", choices=("forward", "backward", "both"), default="both",
                      help="what the nodes show (default: both)")
    draw.add_argument("-o", "--output", default="graph.svg",
                      help="output file; .svg, .png or .pdf (default: graph.svg)")
    draw.add_argument("--rankdir", choices=RANKDIRS, default="LR",
                      help="direction of the flow: LR left to right (default), TB top to bottom")
    draw.add_argument("--wrap", type=int, default=None, metavar="N",
                      help="fold a long chain into N rows (N columns with --rankdir TB)")
    draw.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                      help=f"stop a layout that takes longer (default: {DEFAULT_TIMEOUT:g})")
    draw.add_argument("--animate", metavar="FILE.html",
                      help="also write the step-by-step backward animation to this file")
    draw.add_argument("--print-dot", action="store_true",
                      help="print the DOT source instead of rendering a file")

    demos = commands.add_parser(
        "demos", help="list the demo scripts, or run one",
        description="Without an action: list the demos in the demos/ folder of a minigrad "
                    "checkout (found next to the installed package or in the current folder "
                    "or one above it).")
    demo_actions = demos.add_subparsers(dest="demo_action", metavar="ACTION")
    demo_actions.add_parser("list", help="list the demos (the default)")
    run = demo_actions.add_parser(
        "run", help="run one demo, e.g. `minigrad demos run xor --quick`",
        description="Run demos/NAME.py with this Python; the arguments after NAME go to the "
                    "demo (see `minigrad demos run NAME --help`).")
    run.add_argument("name", help="the demo's name, with or without .py")
    run.add_argument("demo_arguments", nargs=argparse.REMAINDER,
                     help="arguments for the demo, e.g. --quick --out out")
    commands.add_parser("info", help="versions, graph rendering, kernels and CUDA availability")
    return parser


def _draw(args: argparse.Namespace) -> int:
    from minigrad.viz.expression import ExpressionError, build_value, parse_assignments

    suffix = Path(args.output).suffix.lower()
    if not args.print_dot and suffix not in (".svg", ".png", ".pdf"):
        print(f"minigrad draw: error: -o must end in .svg, .png or .pdf, got {args.output!r}",
              file=sys.stderr)
        return EXIT_USAGE
    if not args.timeout > 0:
        print(f"minigrad draw: error: --timeout must be positive, got {args.timeout:g}",
              file=sys.stderr)
        return EXIT_USAGE
    if args.wrap is not None and args.wrap < 1:
        print(f"minigrad draw: error: --wrap must be at least 1, got {args.wrap}", file=sys.stderr)
        return EXIT_USAGE
    if args.animate and Path(args.animate).suffix.lower() not in (".html", ".htm", ".gif"):
        print(f"minigrad draw: error: --animate must end in .html or .gif, got {args.animate!r}",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        values = parse_assignments(args.assignments)
        out, leaves = build_value(args.expression, values)
    except ExpressionError as error:
        print(f"minigrad draw: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (ArithmeticError, ValueError) as error:
        print(f"minigrad draw: cannot compute the expression: {error}", file=sys.stderr)
        return EXIT_FAILURE
    out.backward()

    from minigrad.viz import animate_backward, draw, render

    drawing = draw(out, mode=args.mode, title=args.expression, rankdir=args.rankdir,
                   wrap=args.wrap)
    if args.print_dot:
        print(drawing.source)
        return EXIT_OK
    print(f"out = {args.expression} = {out.data:.6g}")
    for name, leaf in leaves.items():
        print(f"  d out / d {name} = {leaf.grad:.6g}")
    try:
        path = render(drawing, args.output, timeout=args.timeout)
        print(f"wrote {path}")
        if args.animate:
            print(f"wrote {animate_backward(out, args.animate, title=args.expression)}")
    except (RuntimeError, ValueError, OSError) as error:
        print(f"minigrad draw: error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def _is_demos_folder(candidate: Path) -> bool:
    return (candidate / "first_gradients.py").is_file()


def demos_directory(start: Path | None = None) -> Path | None:
    """The ``demos/`` folder of a minigrad checkout, or None when there is none to find.

    Looked for next to the imported package (an editable install or running from the
    checkout), then in ``start`` (default: the current folder) and the folders above it, so
    that ``minigrad demos`` also works inside a checkout after a plain ``pip install .``.
    """
    beside_package = Path(minigrad.__file__).resolve().parent.parent / "demos"
    if _is_demos_folder(beside_package):
        return beside_package
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if _is_demos_folder(folder / "demos"):
            return folder / "demos"
    return None


def list_demos(directory: Path) -> list[tuple[str, str]]:
    """(file name, first line of its docstring) for each demo, read without running it."""
    demos = []
    for path in sorted(directory.glob("*.py")):
        if path.name.startswith("_"):
            continue
        try:
            docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        except SyntaxError:
            docstring = ""
        first_line = docstring.strip().splitlines()[0] if docstring.strip() else "(no description)"
        demos.append((path.name, first_line))
    return demos


NO_DEMOS_FOUND = (
    "The demo scripts live in the demos/ folder of the minigrad source repository; they are "
    "not part of the installed package. Run `minigrad demos` inside a checkout (or any folder "
    "below it) to list and run them, or run one directly: python demos/<name>.py --help")


def _demos(args: argparse.Namespace) -> int:
    directory = demos_directory()
    if directory is None:
        print(NO_DEMOS_FOUND)
        return EXIT_USAGE if args.demo_action == "run" else EXIT_OK
    demos = list_demos(directory)
    if args.demo_action == "run":
        return _run_demo(directory, [name for name, _ in demos], args)
    width = max(len(name) for name, _ in demos)
    print(f"Demos in {directory}:")
    for name, description in demos:
        print(f"  {name:<{width}}  {description}")
    print("\nRun one with:  minigrad demos run <name> [--quick] [--out DIR] [--seed N]"
          "\n          or:  python demos/<name>.py   (from the repository root)"
          "\nEach accepts --help, --quick (a smoke run), --out (default ./out) and --seed.")
    return EXIT_OK


def _run_demo(directory: Path, names: list[str], args: argparse.Namespace) -> int:
    file_name = args.name if args.name.endswith(".py") else f"{args.name}.py"
    if file_name not in names:
        print(f"minigrad demos run: error: no demo {args.name!r}; the demos are: "
              + ", ".join(name.removesuffix(".py") for name in names), file=sys.stderr)
        return EXIT_USAGE
    command = [sys.executable, str(directory / file_name), *args.demo_arguments]
    print("running " + " ".join(command[1:]), flush=True)
    return subprocess.run(command, check=False).returncode


def _version(module_name: str) -> str:
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # noqa: BLE001 - report any import failure, do not crash info
        return f"not available ({type(error).__name__})"
    return str(getattr(module, "__version__", "installed"))


def _graphviz_line() -> str:
    from minigrad.viz.rendering import find_pure_dot, find_system_dot

    renderers = []
    for name, program in (("system dot", find_system_dot()), ("graphviz-pure", find_pure_dot())):
        if program is not None:
            result = subprocess.run([program, "-V"], capture_output=True, text=True,
                                    check=False, timeout=30)
            version = (result.stderr or result.stdout).strip()
            renderers.append(f"{name} ({program}): {version}")
    if not renderers:
        return "no system dot and no graphviz-pure: drawings cannot be rendered"
    return "; then ".join(renderers)


def _kernels_lines() -> list[str]:
    lines = []
    try:
        import numba

        lines.append(f"numba threads: {numba.config.NUMBA_NUM_THREADS}, "
                     f"threading layer: {numba.config.THREADING_LAYER}")
    except Exception as error:  # noqa: BLE001
        lines.append(f"numba unavailable ({type(error).__name__})")
    families = ("dense", "conv", "pool", "loss")
    present = [name for name in families
               if importlib.util.find_spec(f"minigrad.backend.cpu.{name}") is not None]
    lines.append("cpu kernel modules: " + (", ".join(present) if present else "none yet"))
    return lines


def _cuda_line() -> str:
    if importlib.util.find_spec("minigrad.cuda") is None:
        return "minigrad.cuda not present in this build"
    try:
        from minigrad import cuda

        return "available" if cuda.is_available() else "not available"
    except Exception as error:  # noqa: BLE001 - a broken CUDA setup must not break info
        return f"not available ({type(error).__name__}: {error})"


def _info(_args: argparse.Namespace) -> int:
    rows = [
        ("minigrad", minigrad.__version__),
        ("python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("platform", platform.platform()),
        ("numpy", _version("numpy")),
        ("numba", _version("numba")),
        ("graphviz (python)", _version("graphviz")),
        ("graphviz rendering", _graphviz_line()),
        ("matplotlib", _version("matplotlib")),
        ("cuda", _cuda_line()),
    ]
    rows += [("kernels", line) for line in _kernels_lines()]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``minigrad`` console script; returns the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    handlers = {"draw": _draw, "demos": _demos, "info": _info}
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
