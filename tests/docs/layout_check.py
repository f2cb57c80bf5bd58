#!/usr/bin/env python3
"""Checks docs/architecture.md's layer table against the tree, file by file.

Every source and header under src/, include/weft/ and asm/ must be named by
the table (or the "Shared by several layers" paragraph under it) by its
own path: a folder (`src/sync/`) sets where the bare names after it live
but covers nothing itself; and every path the table names must exist. A bare file name in a cell (`task.hpp`) is
resolved in the folder of the last path before it in the same cell.

Usage: layout_check.py [REPO_ROOT]   exit 1 and one line per problem.
"""
import fnmatch
import os
import re
import subprocess
import sys

CHECKED = ("src/", "include/weft/", "asm/")
SOURCE = re.compile(r"\.(c|cc|cpp|h|hpp|S|py|in)$")


def repo_files(root):
    out = subprocess.run(["git", "-C", root, "ls-files"], capture_output=True, text=True, check=True).stdout
    return [f for f in out.splitlines() if f.startswith(CHECKED) and SOURCE.search(f)]


def table_text(root):
    text = open(os.path.join(root, "docs/architecture.md"), encoding="utf-8").read()
    start = text.index("| layer |")
    end = text.index("\n## ", start)
    return text[start:end]


def full_path(token):
    if token.startswith("weft/"):
        return "include/" + token
    return token


def named_paths(text):
    """The paths the table names, each as the repository path or glob."""
    paths = []
    # A cell is the text between two '|'; the paragraph below the table is one cell.
    for cell in re.split(r"\||\n\n", text):
        folder = None
        for token in re.findall(r"`([^`]+)`", cell):
            if "/" in token:
                path = full_path(token)
                folder = path if path.endswith("/") else os.path.dirname(path) + "/"
                paths.append(path)
            elif re.search(r"\.(hpp|cpp|h|S|py)$", token) and folder:
                paths.append(folder + token)
    # A bare top folder ("Tests mirror `src/`") names no file.
    return [p for p in paths if p.startswith(CHECKED) and p not in CHECKED]


def covered(path, named):
    for n in named:
        if n == path or ("*" in n and fnmatch.fnmatch(path, n)):
            return True
    return False


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    named = named_paths(table_text(root))
    problems = []
    for path in repo_files(root):
        if not covered(path, named):
            problems.append(f"docs/architecture.md: {path} is in the tree but not in the layer table")
    for n in named:
        if "*" in n:
            if not any(fnmatch.fnmatch(f, n) for f in repo_files(root)):
                problems.append(f"docs/architecture.md: names {n}, which matches no file")
        elif not os.path.exists(os.path.join(root, n)) and n != "include/weft/config.hpp":  # generated
            problems.append(f"docs/architecture.md: names {n}, which does not exist")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
