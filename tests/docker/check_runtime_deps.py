#!/usr/bin/python3
"""Checks docker/Dockerfile's package lists against the built binary and scripts/setup.sh.

No Docker engine is needed: the check reads the Dockerfile as text.

    check_runtime_deps.py [--dockerfile F] [--setup S] BINARY [MODULE...]

BINARY is the built azkaban-executor; MODULE the shared objects it loads with dlopen (the
server module), which ship in the image too.

1. Runtime stage (the last FROM): every shared library `ldd BINARY` resolves is mapped to its
   Debian package with `dpkg -S` (on this Debian 12 machine, the same release as the image).
   * A library the binary links directly (ELF NEEDED, `readelf -d`) must come from a package
     the stage's `apt-get install` lines name, or from the debian:12-slim base (list below).
   * A library loaded only indirectly (e.g. libcurl's libnghttp2) may also come from the
     Depends/Pre-Depends closure of the named packages, since apt installs those (the closure
     is computed from the local dpkg database).
   A library `ldd` cannot resolve is an error too.
2. Build stage (the stage named `build`): its `apt-get install` lines must install every package
   of scripts/setup.sh's `build_packages` array.
3. Both stages must start from the bases the lists below assume (debian:12 / debian:12-slim).

Exit status 0 when everything holds, 1 with one line per problem otherwise, 2 on bad input.
"""

import argparse
import os
import re
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# Binary packages of debian:12-slim (bookworm-slim), amd64, as listed by docker-library/repo-info
# repos/debian/local/bookworm-slim.md (image of 2026-09-18, ~74.8 MB). Libraries from these need
# no apt-get install in the runtime stage. Update when the base changes.
SLIM_BASE_PACKAGES = frozenset("""
adduser apt base-files base-passwd bash bsdutils coreutils dash debconf debian-archive-keyring
debianutils diffutils dpkg e2fsprogs findutils gcc-12-base gpgv grep gzip hostname
init-system-helpers libacl1 libapt-pkg6.0 libattr1 libaudit-common libaudit1 libblkid1
libbz2-1.0 libc-bin libc6 libcap-ng0 libcap2 libcom-err2 libcrypt1 libdb5.3 libdebconfclient0
libext2fs2 libffi8 libgcc-s1 libgcrypt20 libgmp10 libgnutls30 libgpg-error0 libhogweed6
libidn2-0 liblz4-1 liblzma5 libmd0 libmount1 libnettle8 libp11-kit0 libpam-modules
libpam-modules-bin libpam-runtime libpam0g libpcre2-8-0 libseccomp2 libselinux1
libsemanage-common libsemanage2 libsepol2 libsmartcols1 libss2 libstdc++6 libsystemd0
libtasn1-6 libtinfo6 libudev1 libunistring2 libuuid1 libxxhash0 libzstd1 login logsave mawk
mount ncurses-base ncurses-bin passwd perl-base sed sysvinit-utils tar tzdata usr-is-merged
util-linux util-linux-extra zlib1g
""".split())

EXPECTED_BASES = {"build": {"debian:12", "debian:bookworm"},
                  "runtime": {"debian:12-slim", "debian:bookworm-slim"}}


def fail_input(message):
    print(f"check_runtime_deps: {message}", file=sys.stderr)
    sys.exit(2)


def logical_lines(text):
    """Dockerfile lines with comments dropped and backslash continuations joined."""
    out, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") and not current:
            continue
        if current and stripped.startswith("#"):  # comment inside a continued RUN
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        if current:
            out.append(current)
        current = ""
    if current:
        out.append(current)
    return out


def parse_stages(text):
    """[{name, base, packages}] in order; packages = everything `apt-get install` installs."""
    stages = []
    for line in logical_lines(text):
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = rest.split()
            words = [w for w in words if not w.startswith("--platform")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append({"name": name, "base": words[0] if words else "", "packages": []})
        elif keyword == "RUN" and stages:
            stages[-1]["packages"] += apt_packages(rest)
    return stages


def apt_packages(command):
    """Package names given to `apt-get install` (or `apt install`) in one RUN command."""
    try:
        words = shlex.split(command, comments=False)
    except ValueError as e:
        fail_input(f"cannot parse RUN command ({e}): {command}")
    packages, i = [], 0
    separators = {"&&", "||", ";", "|", ")", "("}
    while i < len(words):
        if words[i] in ("apt-get", "apt") and "install" in words[i + 1:i + 8]:
            j = words.index("install", i + 1)
            # only options may sit between apt-get and install
            if all(w.startswith("-") for w in words[i + 1:j]):
                j += 1
                while j < len(words) and words[j] not in separators and not words[j].endswith(";"):
                    if not words[j].startswith("-"):
                        packages.append(words[j].split("=")[0])  # drop version pins
                    j += 1
                if j < len(words) and words[j].endswith(";") and not words[j].startswith("-"):
                    packages.append(words[j].rstrip(";").split("=")[0])
                i = j
                continue
        i += 1
    return packages


def setup_build_packages(path):
    with open(path) as f:
        text = f.read()
    m = re.search(r"^build_packages=\((.*?)\)", text, re.S | re.M)
    if not m:
        fail_input(f"no build_packages=(...) array in {path}")
    return shlex.split(m.group(1), comments=True)


def ldd_libraries(binary):
    """[(soname, path or None)] of the shared libraries the binary loads."""
    p = subprocess.run(["ldd", binary], capture_output=True, text=True)
    if p.returncode != 0:
        fail_input(f"ldd {binary} failed: {p.stderr.strip() or p.stdout.strip()}")
    libs = []
    for line in p.stdout.splitlines():
        line = line.strip()
        if "=>" in line:
            soname, _, target = line.partition("=>")
            target = target.strip()
            if target.startswith("not found"):
                libs.append((soname.strip(), None))
            else:
                libs.append((soname.strip(), target.split(" (")[0].strip()))
        elif line.startswith("/"):  # the dynamic loader itself
            path = line.split(" (")[0]
            libs.append((os.path.basename(path), path))
        # linux-vdso.so.1 is provided by the kernel: no package
    return libs


def needed_sonames(binary):
    """The ELF NEEDED entries: the libraries the binary itself links."""
    try:
        p = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True)
    except FileNotFoundError:
        fail_input("readelf (binutils) is needed")
    if p.returncode != 0:
        fail_input(f"readelf -d {binary} failed: {p.stderr.strip()}")
    return set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", p.stdout))


def installed(pkg):
    p = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    return p.returncode == 0 and "install ok installed" in p.stdout


def dependency_closure(packages):
    """Packages apt would install for `packages` (Depends + Pre-Depends, no Recommends), as far
    as the local dpkg database knows them. Of alternatives (a | b) the first installed one is
    followed, else the first."""
    seen, todo = set(), list(packages)
    while todo:
        pkg = todo.pop()
        if pkg in seen:
            continue
        seen.add(pkg)
        p = subprocess.run(["dpkg-query", "-W", "-f=${Depends}, ${Pre-Depends}", pkg],
                           capture_output=True, text=True)
        if p.returncode != 0:
            continue  # not installed here: its dependencies are unknown
        for group in p.stdout.split(","):
            alternatives = [re.sub(r"\(.*?\)|:any", "", a).strip() for a in group.split("|")]
            alternatives = [a for a in alternatives if a]
            if alternatives:
                todo.append(next((a for a in alternatives if installed(a)), alternatives[0]))
    return seen


def owning_package(path):
    """Debian package owning a library path, trying the /usr-merged spellings dpkg records."""
    candidates = [path, os.path.realpath(path)]
    for c in list(candidates):
        if c.startswith("/usr/"):
            candidates.append(c[len("/usr"):])
        else:
            candidates.append("/usr" + c)
    for c in candidates:
        p = subprocess.run(["dpkg", "-S", c], capture_output=True, text=True)
        if p.returncode == 0:
            first = p.stdout.splitlines()[0]
            pkg = first.split(":", 1)[0].strip()
            # "pkg:arch: path" -> pkg; "diversion by ..." lines are not expected for libraries
            return pkg.split(",")[0].strip()
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dockerfile", default=os.path.join(REPO, "docker", "Dockerfile"))
    ap.add_argument("--setup", default=os.path.join(REPO, "scripts", "setup.sh"))
    ap.add_argument("binaries", nargs="+", metavar="BINARY")
    a = ap.parse_args()

    for binary in a.binaries:
        if not os.path.isfile(binary):
            fail_input(f"binary {binary} does not exist")
    with open(a.dockerfile) as f:
        stages = parse_stages(f.read())
    if len(stages) < 2:
        fail_input(f"{a.dockerfile}: expected a multi-stage build (found {len(stages)} stage(s))")
    runtime = stages[-1]
    build = next((s for s in stages if s["name"] == "build"), None)
    if build is None:
        fail_input(f"{a.dockerfile}: no stage named 'build' (FROM ... AS build)")

    problems = []
    for label, stage in (("build", build), ("runtime", runtime)):
        if stage["base"] not in EXPECTED_BASES[label]:
            problems.append(f"{label} stage starts FROM {stage['base']}, expected one of "
                            f"{sorted(EXPECTED_BASES[label])} (the package lists assume it)")

    # 1. runtime libraries
    runtime_pkgs = set(runtime["packages"])
    print(f"runtime stage installs: {' '.join(sorted(runtime_pkgs)) or '(nothing)'}")
    pulled_in = dependency_closure(runtime_pkgs)
    needed = {}
    for binary in a.binaries:
        name = os.path.basename(binary)
        print(f"{name}:")
        direct = needed_sonames(binary)
        for soname, path in ldd_libraries(binary):
            if path is None:
                problems.append(f"library {soname}: not found by ldd on this machine")
                continue
            pkg = owning_package(path)
            if pkg is None:
                problems.append(f"library {soname} ({path}): no Debian package owns it (dpkg -S)")
                continue
            needed.setdefault(pkg, set()).add(soname)
            is_direct = soname in direct
            if pkg in runtime_pkgs:
                where = "runtime stage"
            elif pkg in SLIM_BASE_PACKAGES:
                where = "debian:12-slim base"
            elif not is_direct and pkg in pulled_in:
                where = "dependency of the runtime packages"
            else:
                where = None
                kind = f"linked directly by {name}" if is_direct else "loaded indirectly"
                problems.append(f"library {soname} ({path}, {kind}) comes from package {pkg}, which "
                                f"the runtime stage of {a.dockerfile} does not install"
                                + ("" if is_direct else " (not even as a dependency)")
                                + " and debian:12-slim does not contain")
            print(f"  {'*' if is_direct else ' '} {soname:<28} {pkg:<22} {where or 'MISSING'}")
    print("  (* = linked directly)")
    unused = sorted(p for p in runtime_pkgs - set(needed) if p.startswith("lib"))
    if unused:
        print(f"note: runtime library packages the binary does not load: {' '.join(unused)}")

    # 2. build packages
    build_pkgs = set(build["packages"])
    for pkg in setup_build_packages(a.setup):
        if pkg not in build_pkgs:
            problems.append(f"build stage does not install {pkg} (scripts/setup.sh build_packages)")

    if problems:
        for p in problems:
            print(f"FAIL: {p}", file=sys.stderr)
        return 1
    print(f"ok: the {sum(map(len, needed.values()))} libraries the binaries load come from "
          f"{len(needed)} packages, all in the runtime stage; the build stage installs all of "
          f"setup.sh's build_packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
