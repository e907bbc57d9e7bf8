"""Checks the NuGet packages `dotnet pack` wrote into a folder: one per packable project, each holding its own
assembly, its XML documentation, README.md and LICENSE and nothing else, so the runtime package ships the
runtime alone (benchmarking and test code live in their own, unpacked projects).

    package_contents.py FOLDER
"""

import sys
import zipfile
from pathlib import Path

PACKAGES = ("V2Meow.Runtime", "V2Meow.Kernels", "V2Meow.Loaders", "V2Meow.Numerics")
# Assemblies that must never travel in a package: tooling and tests.
FORBIDDEN = ("Benchmarking", "Bench", "Tests", "Cli", "Sample")


def problems(folder):
    found = {p.name.rsplit(".", 4)[0]: p for p in Path(folder).glob("*.nupkg")}
    for package in PACKAGES:
        if package not in found:
            yield f"{package}: no package in {folder}"
    for name, path in sorted(found.items()):
        if name not in PACKAGES:
            yield f"{path.name}: not a packable project (only {', '.join(PACKAGES)} are)"
            continue
        with zipfile.ZipFile(path) as z:
            entries = {e for e in z.namelist()
                       if not e.startswith(("_rels/", "package/")) and e not in ("[Content_Types].xml", f"{name}.nuspec")}
        expected = {f"lib/net10.0/{name}.dll", f"lib/net10.0/{name}.xml", "README.md", "LICENSE"}
        for missing in sorted(expected - entries):
            yield f"{path.name}: missing {missing}"
        for extra in sorted(entries - expected):
            yield f"{path.name}: unexpected {extra}"
        for entry in entries:
            if any(f"V2Meow.{word}." in entry for word in FORBIDDEN):
                yield f"{path.name}: ships tooling or tests ({entry})"


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    found = list(problems(sys.argv[1]))
    for p in found:
        print(f"error: {p}", file=sys.stderr)
    if not found:
        print(f"packages ok: {', '.join(PACKAGES)}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
