#!/usr/bin/env python3
"""Fails when a file includes a halld header its module may not use.

The allowed dependencies are the module table of docs/architecture.md (its "uses" column), the
one place they are written; a module may use what its uses use, and itself. Checked: src/<m>/,
include/halld/<m>/, tests/unit/<m>/ (a module's unit tests link only that module) and tools/<t>/
for the tools listed in the table. Usage: check_includes.py <source root>
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
table_row = re.compile(r"^\|\s*`([a-z_/]+)`\s*\|.*\|\s*([^|]*?)\s*\|\s*$")
include = re.compile(r'^\s*#\s*include\s+"halld/([a-z_]+)/')

uses = {}
for line in (root / "docs/architecture.md").read_text(encoding="utf-8").splitlines():
    match = table_row.match(line)
    if not match:
        continue
    module, used = match.groups()
    used = used.replace("`", "").strip()
    uses[module] = None if used == "everything" else (
        set() if used in ("—", "-", "") else {u.strip() for u in used.split(",")})
if "core" not in uses:
    sys.exit("docs/architecture.md: no module table found")


def allowed(module, seen=()):
    """The modules `module` may include: itself, what it uses, and what those may include."""
    if uses[module] is None:
        return None
    result = {module}
    for used in uses[module]:
        if used not in uses:
            sys.exit(f"docs/architecture.md: {module} uses {used}, which is not in the table")
        if used in seen:
            sys.exit(f"docs/architecture.md: a cycle through {used}")
        deeper = allowed(used, seen + (module,))
        result |= deeper if deeper is not None else set(uses)
    return result


places = []
for module in uses:
    if module.startswith("tools/"):
        places.append((module, root / module))
    else:
        places += [(module, root / "src" / module), (module, root / "include/halld" / module),
                   (module, root / "tests/unit" / module)]
for folder in (root / "src").iterdir():
    if folder.is_dir() and folder.name not in uses:
        sys.exit(f"src/{folder.name}: a module missing from the table in docs/architecture.md")

problems = []
for module, folder in places:
    permitted = allowed(module)
    if permitted is None or not folder.is_dir():
        continue
    for path in sorted(folder.rglob("*")):
        if path.suffix not in (".cpp", ".hpp", ".h"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = include.match(line)
            if match and match.group(1) not in permitted:
                problems.append(f"{path.relative_to(root)}:{number}: {module} may not include "
                                f"halld/{match.group(1)}/ (it may use: "
                                f"{', '.join(sorted(permitted - {module})) or 'nothing'})")
for problem in problems:
    print(problem)
print(f"{len(problems)} forbidden include(s) in {len(places)} folders of {len(uses)} modules")
sys.exit(1 if problems else 0)
