"""Secrets are read from the environment in one module, `hub.secrets`, and never shown."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from hub.secrets import SECRET_ENVS, Secrets, discord_token

ROOT = Path(__file__).resolve().parents[2]
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD", re.IGNORECASE)
# Modules allowed to read a secret themselves for now (none: keep it so; the last test below
# fails on an entry that no longer reads one, so an entry cannot outlive its reason).
PENDING: set[str] = set()


def _is_environ(node: ast.AST) -> bool:
    """`os.environ` (or a bare `environ`) anywhere in `node`: `(os.environ if … else env)`."""
    return any(
        (isinstance(n, ast.Attribute) and n.attr == "environ")
        or (isinstance(n, ast.Name) and n.id == "environ")
        for n in ast.walk(node)
    )


def _string_constants(tree: ast.Module) -> dict[str, str]:
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    names[target.id] = node.value.value
        if isinstance(node, ast.ImportFrom) and node.module == "hub.secrets":
            for alias in node.names:
                names[alias.asname or alias.name] = "SECRET_FROM_HUB_SECRETS"
    return names


def _is_secret_key(key: ast.AST, constants: dict[str, str]) -> bool:
    """A variable name that is, or may be, a secret's: a Discord `token_env`, a name that
    says so, or a key computed where this test cannot tell (it must go through hub.secrets)."""
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        return key.value in SECRET_ENVS or bool(SECRET_NAME.search(key.value))
    if isinstance(key, ast.Name) and key.id in constants:
        value = constants[key.id]
        return value == "SECRET_FROM_HUB_SECRETS" or _is_secret_key(ast.Constant(value), {})
    return True


def secret_reads(path: Path, root: Path = ROOT) -> list[str]:
    """Where the module at `path` reads a secret variable from the environment."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = _string_constants(tree)
    found = []
    for node in ast.walk(tree):
        key: ast.AST | None = None
        if isinstance(node, ast.Subscript) and _is_environ(node.value):
            key = node.slice
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in {"get", "pop", "setdefault"}
                and _is_environ(func.value)
            ) or (isinstance(func, ast.Attribute) and func.attr == "getenv"):
                key = node.args[0]
        if key is not None and _is_secret_key(key, constants):
            found.append(f"{path.relative_to(root)}:{node.lineno}: {ast.unparse(node)}")
    return found


def _modules() -> list[Path]:
    return sorted(p for folder in ("hub", "bots") for p in (ROOT / folder).rglob("*.py"))


def test_no_module_but_hub_secrets_reads_a_secret_from_the_environment() -> None:
    reads = [
        read
        for path in _modules()
        if path.relative_to(ROOT).as_posix() not in {"hub/secrets.py", *PENDING}
        for read in secret_reads(path)
    ]
    assert reads == []


def test_the_check_sees_every_way_of_reading_a_secret(tmp_path: Path) -> None:
    module = tmp_path / "hub" / "sneaky.py"
    module.parent.mkdir()
    module.write_text(
        "import os\n"
        'PASSWORD_ENV = "HUB_SMTP_PASSWORD"\n'
        'a = os.environ.get("SENDGRID_API_KEY", "")\n'
        "b = os.environ[PASSWORD_ENV]\n"
        "c = (os.environ if env is None else env).get(server.token_env)\n"
        'd = os.getenv("HUB_SECRET_KEY")\n'
        'e = os.environ.get("HUB_CONFIG")\n',
        encoding="utf-8",
    )
    reads = secret_reads(module, tmp_path)
    assert [read.split(":")[1] for read in reads] == ["3", "4", "5", "6"]


def test_pending_modules_still_read_a_secret_themselves() -> None:
    for pending in PENDING:
        assert secret_reads(ROOT / pending), f"{pending} no longer reads a secret: unlist it"


def test_the_repr_of_secrets_shows_no_value() -> None:
    secrets = Secrets(
        secret_key="cle-maitre-tres-secrete-0123456789",
        sendgrid_api_key="SG.cle-api-secrete",
        smtp_password="mot-de-passe-du-relais",
        discord_tokens={"DISCORD_TOKEN_ELUS": "jeton-du-bot-des-elus"},
    )
    shown = repr(secrets)
    for value in ("cle-maitre", "SG.cle", "mot-de-passe", "jeton-du-bot"):
        assert value not in shown
    assert "smtp_password=<défini>" in shown and "webhook_public_key=<absent>" in shown
    assert "DISCORD_TOKEN_ELUS: <défini>" in shown


def test_a_discord_token_is_read_by_the_name_its_server_gives() -> None:
    env = {"DISCORD_TOKEN_ELUS": " jeton \n", "DISCORD_TOKEN_VIDE": "  "}
    assert discord_token("DISCORD_TOKEN_ELUS", env) == "jeton"
    assert discord_token("DISCORD_TOKEN_VIDE", env) == ""
    assert discord_token("DISCORD_TOKEN_ABSENT", env) == ""
