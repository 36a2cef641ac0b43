#!/usr/bin/env python3
"""Translates the CUDA plugin's .cu files into C++ that g++ compiles against the emulated runtime.

Part of the CPU emulation of the CUDA plugin (scripts/reliability/cuda-emulated.sh). The point is
to run the kernels exactly as written, so the translation is mechanical and minimal: every launch

    NAME<<<GRID, BLOCK[, SHARED[, STREAM]]>>>(ARGS)

becomes

    emulate_launch("NAME", GRID, BLOCK, SHARED, STREAM, FIBERS, NAME, ARGS)

(include/cuda_runtime.h), where FIBERS is true when the file calls __syncthreads anywhere: its
kernels then run each block's threads as fibers, so that the barrier holds. Everything else is
copied verbatim (the mock header supplies __global__, threadIdx, ...), lines are kept where they
were, and a #line directive makes compiler messages and backtraces name the .cu file.

A launch the translation does not understand stops it with an error, never a guess.

Usage: translate_kernels.py OUTPUT_DIR FILE.cu...   (writes OUTPUT_DIR/<stem>.cpp for each)
"""
import re
import sys
from pathlib import Path


def fail(path, text, index, why):
    line = text.count('\n', 0, index) + 1
    sys.exit(f'translate_kernels.py: {path}:{line}: {why}')


def split_top_level(text):
    """Splits at the commas outside parentheses, brackets and braces."""
    parts, depth, current = [], 0, ''
    for ch in text:
        depth += ch in '([{'
        depth -= ch in ')]}'
        if ch == ',' and depth == 0:
            parts.append(current.strip())
            current = ''
        else:
            current += ch
    parts.append(current.strip())
    return parts


def translate(path):
    text = path.read_text()
    fibers = 'true' if '__syncthreads' in text else 'false'
    out, pos, launches = [], 0, []
    for match in re.finditer(r'(\w+)\s*<<<', text):
        if match.start() < pos:
            continue
        line_start = text.rfind('\n', 0, match.start()) + 1
        if '//' in text[line_start:match.start()]:
            continue  # a launch mentioned in a comment
        name = match.group(1)
        close = text.find('>>>', match.end())
        if close < 0:
            fail(path, text, match.start(), f'no >>> closing the launch of {name}')
        config = split_top_level(text[match.end():close])
        if not 2 <= len(config) <= 4 or not all(config):
            fail(path, text, match.start(), f'launch configuration of {name} not understood: {config}')
        config += ['0', '0'][:4 - len(config)]
        open_paren = close + 3
        while open_paren < len(text) and text[open_paren].isspace():
            open_paren += 1
        if open_paren >= len(text) or text[open_paren] != '(':
            fail(path, text, close, f'no argument list after the launch of {name}')
        depth, end = 0, open_paren
        while True:
            if end >= len(text):
                fail(path, text, open_paren, f'unbalanced parentheses in the launch of {name}')
            depth += text[end] == '('
            depth -= text[end] == ')'
            if depth == 0:
                break
            end += 1
        args = text[open_paren + 1:end]
        replacement = f'emulate_launch("{name}", {", ".join(config)}, {fibers}, {name}, {args})'
        # Keep the following lines where they were (the configuration may have spanned lines).
        replacement += '\n' * (text.count('\n', match.start(), end + 1) - replacement.count('\n'))
        out.append(text[pos:match.start()])
        out.append(replacement)
        pos = end + 1
        launches.append(name)
    out.append(text[pos:])
    return f'#line 1 "{path}"\n' + ''.join(out), launches, fibers


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out_dir = Path(sys.argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    for source in sys.argv[2:]:
        path = Path(source)
        translated, launches, fibers = translate(path)
        if not launches:
            sys.exit(f'translate_kernels.py: {path}: no kernel launch found')
        (out_dir / (path.stem + '.cpp')).write_text(translated)
        print(f'{path}: {len(launches)} launches, fibers {fibers}')


if __name__ == '__main__':
    main()
