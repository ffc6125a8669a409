"""The Debian package `make deb` builds: its metadata, its files, its maintainer scripts.
(`sudo make test-install` installs it for real, uses it and purges it.)"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from antirelou import __version__

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    shutil.which("dpkg-deb") is None, reason="dpkg-deb is not installed (not Debian)"
)


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    """Build the package once for this module; return the .deb."""
    folder = tmp_path_factory.mktemp("deb")
    environment = {
        **os.environ,
        # The Python running the tests has python-gsmmodem-new installed: no network needed.
        "PYTHON": sys.executable,
        "BUILD_DIR": str(folder / "build"),
    }
    subprocess.run(
        ["sh", "scripts/build-deb", str(folder / "dist")],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return folder / "dist" / f"antirelou_{__version__}_all.deb"


@pytest.fixture(scope="module")
def unpacked(package, tmp_path_factory) -> Path:
    tree = tmp_path_factory.mktemp("tree")
    subprocess.run(["dpkg-deb", "-R", str(package), str(tree)], check=True, timeout=60)
    return tree


def _field(package: Path, name: str) -> str:
    return subprocess.run(
        ["dpkg-deb", "-f", str(package), name], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_package_is_one_architecture_independent_deb_on_debian_python(package):
    assert package.name == f"antirelou_{__version__}_all.deb"
    assert _field(package, "Package") == "antirelou"
    assert _field(package, "Version") == __version__
    assert _field(package, "Architecture") == "all"
    depends = _field(package, "Depends")
    for dependency in ("python3 (>= 3.11)", "python3-serial", "python3-yaml"):
        assert dependency in depends
    assert "python3 (<<" not in depends  # Trixie's Python 3.13 too
    assert "python3-systemd" in _field(package, "Recommends")
    assert "sudo antirelou setup" in _field(package, "Description")


def _listing(package: Path) -> dict[str, tuple[str, str]]:
    """Given a .deb, return path -> (permissions, owner) of each entry."""
    lines = subprocess.run(
        ["dpkg-deb", "-c", str(package)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    entries = {}
    for line in lines:
        permissions, owner, _size, _date, _time, path = line.split(maxsplit=5)
        entries[path.removeprefix(".").rstrip("/") or "/"] = (permissions, owner)
    return entries


def test_package_files_are_the_program_its_units_and_its_rules(package):
    entries = _listing(package)
    expected = {
        "/usr/bin/antirelou": "-rwxr-xr-x",
        "/usr/lib/systemd/system/antirelou.service": "-rw-r--r--",
        "/usr/lib/systemd/system/antirelou@.service": "-rw-r--r--",
        "/usr/lib/systemd/system/antirelou.target": "-rw-r--r--",
        "/usr/lib/udev/rules.d/70-antirelou.rules": "-rw-r--r--",
        "/usr/lib/sysusers.d/antirelou.conf": "-rw-r--r--",
        "/usr/lib/antirelou/vendor/gsmmodem/modem.py": "-rw-r--r--",
        "/usr/lib/antirelou/vendor/python_gsmmodem_new-0.13.0.dist-info/COPYING": "-rw-r--r--",
        "/usr/share/doc/antirelou/copyright": "-rw-r--r--",
        "/usr/share/doc/antirelou/README.md": "-rw-r--r--",
        "/usr/share/doc/antirelou/examples/antirelou.yaml": "-rw-r--r--",
    }
    for path, permissions in expected.items():
        assert entries.get(path) == (permissions, "root/root"), path
    sources = {
        f"/usr/lib/antirelou/{path.relative_to(ROOT)}" for path in ROOT.glob("antirelou/**/*.py")
    }
    shipped = {path for path in entries if path.startswith("/usr/lib/antirelou/antirelou/")}
    assert {path for path in shipped if path.endswith(".py")} == sources
    assert all(owner == "root/root" for _, owner in entries.values())
    # Nothing compiled, no tests, nothing in /etc or /var: the configuration is setup's,
    # the log the service's, so upgrades and remove never touch them.
    assert not [path for path in entries if "__pycache__" in path or path.endswith(".pyc")]
    assert not [path for path in entries if "/tests/" in path or "gsmtermlib" in path]
    assert not [path for path in entries if path.startswith(("/etc", "/var", "/opt"))]


def test_package_has_no_conffiles_and_executable_maintainer_scripts(unpacked):
    control = unpacked / "DEBIAN"

    assert sorted(path.name for path in control.iterdir()) == [
        "control",
        "postinst",
        "postrm",
        "prerm",
    ]
    for script in ("postinst", "prerm", "postrm"):
        assert os.access(control / script, os.X_OK)
        subprocess.run(["sh", "-n", str(control / script)], check=True)


def _branch(script: str, case: str) -> str:
    """Given a maintainer script and one of its `case` labels, return that branch's text."""
    match = re.search(rf"^{case}\)\n(.*?)^    ;;", script, re.MULTILINE | re.DOTALL)
    assert match, case
    return match.group(1)


def test_postinst_creates_the_user_and_private_folders(unpacked):
    configure = _branch((unpacked / "DEBIAN" / "postinst").read_text(), "configure")

    assert "systemd-sysusers antirelou.conf" in configure
    assert "install -d -m 0750 -o root -g antirelou /etc/antirelou" in configure
    assert "install -d -m 0700 -o antirelou -g antirelou /var/lib/antirelou" in configure
    assert "python3 -m compileall" in configure
    # It never writes a configuration: `antirelou setup` does.
    assert ".yaml" not in configure.replace("ls /etc/antirelou/*.yaml", "")


def test_postrm_purge_deletes_the_configuration_and_keeps_the_log(unpacked):
    script = (unpacked / "DEBIAN" / "postrm").read_text()
    purge, remove = _branch(script, "purge"), _branch(script, "remove")

    commands = [
        line.strip() for line in purge.splitlines() if not line.strip().startswith(("#", "echo"))
    ]
    deleting = [line for line in commands if line.startswith(("rm ", "rmdir"))]
    assert "rm -rf /etc/antirelou" in deleting
    assert not [line for line in deleting if "/var/lib/antirelou" in line and "rmdir" not in line]
    assert "kept in /var/lib/antirelou" in purge
    assert "rm " not in remove  # apt remove keeps configuration and log alike


def test_sysusers_file_makes_a_system_user_in_dialout(unpacked):
    sysusers = shutil.which("systemd-sysusers")
    if sysusers is None:
        pytest.skip("systemd-sysusers is not installed")
    (unpacked / "etc").mkdir()

    subprocess.run(
        [sysusers, f"--root={unpacked}", "antirelou.conf"], check=True, capture_output=True
    )

    passwd = (unpacked / "etc" / "passwd").read_text()
    assert re.search(
        r"^antirelou:x:\d+:\d+:[^:]*:/var/lib/antirelou:/usr/sbin/nologin$", passwd, re.M
    )
    assert re.search(r"^dialout:x:\d+:antirelou$", (unpacked / "etc" / "group").read_text(), re.M)


def test_launcher_runs_antirelou_with_its_own_gsmmodem(unpacked):
    library = unpacked / "usr" / "lib" / "antirelou"
    launcher = (unpacked / "usr" / "bin" / "antirelou").read_text()
    assert launcher.startswith("#!/usr/bin/python3 -I\n")
    moved = unpacked / "launcher"
    moved.write_text(launcher.replace("/usr/lib/antirelou", str(library)))

    version = subprocess.run(
        [sys.executable, "-I", str(moved), "--version"], capture_output=True, text=True, timeout=60
    )
    where = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            f"import sys; sys.path[0:0] = [{str(library)!r}, {str(library / 'vendor')!r}]; "
            "import gsmmodem, antirelou.modem; print(gsmmodem.__file__)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert version.stdout.strip() == f"antirelou {__version__}"
    assert where.stdout.strip() == str(library / "vendor" / "gsmmodem" / "__init__.py")
