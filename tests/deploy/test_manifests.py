"""Static checks of everything under deploy/: no container engine or cluster is needed.

Validators (all offline; CI installs them with the `test` extra, and a missing one fails):
  hadolint                deploy/Dockerfile, no finding at any severity
  yamllint -s             every YAML file under deploy/ (config deploy/.yamllint)
  kubernetes-validate     deploy/k8s/*.yaml, --strict (unknown fields fail) against Kubernetes 1.30;
                          a resource it has no schema for is a failure too
  check-jsonschema        deploy/compose.yaml against the compose-spec schema it ships
                          (--builtin-schema vendor.compose-spec)

plus structural checks of compose.yaml and the manifests, and a check that every command line
and probe path matches the gateway's documented CLI and HTTP contract (docs/design.md sections 3
and 7). Each validator also gets a deliberately broken copy, to prove it can fail.
"""

from __future__ import annotations

import copy
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = DEPLOY / "Dockerfile.dockerignore"
COMPOSE = DEPLOY / "compose.yaml"
CONTAINER_TOML = DEPLOY / "governance.toml"
YAMLLINT_CONFIG = DEPLOY / ".yamllint"
K8S_DIR = DEPLOY / "k8s"
K8S_VERSION = "1.30.0"

# --- the documented contract (docs/design.md sections 3 and 7, plus the deployment commands) ------

LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"
GATEWAY_PORT = 8080
CONFIG_PATH_IN_IMAGE = "/etc/governance/governance.toml"

# `governance` sub-commands the deployment files may run: flag -> takes a value.
# `serve` is docs/design.md section 7; `pdp` (OPA-compatible decision server) and `policy build`
# (OPA bundle from a policy tree, which like `policy test|check` takes the tree as its one
# positional argument) are the deployment commands. test_cli_table_matches_the_real_cli
# holds this table to `governance ... --help`.
CLI: dict[tuple[str, ...], dict[str, bool]] = {
    ("serve",): {"--config": True, "--host": True, "--port": True, "--log-level": True},
    ("pdp",): {"--policy": True, "--port": True},
    ("policy", "build"): {"--output": True},
}
CLI_POSITIONALS: dict[tuple[str, ...], int] = {("policy", "build"): 1}
CLI_REQUIRED: dict[tuple[str, ...], set[str]] = {
    ("serve",): {"--config", "--host", "--port"},
    ("pdp",): {"--policy"},
    ("policy", "build"): {"--output"},
}

DOCUMENTED_ENV = {
    "GOVERNANCE_CONFIG",
    "GOVERNANCE_JWT_SECRET",
    "GOVERNANCE_POLICY_PATH",
    "GOVERNANCE_POLICY_ENGINE",
    "GOVERNANCE_OPA_URL",
    "GOVERNANCE_DATABASE_URL",
    "GOVERNANCE_SIGNING_KEY_FILE",
    "GOVERNANCE_LEDGER_URL",
    "GOVERNANCE_CHAIN_ID",
}

DOCUMENTED_CONFIG: dict[str, set[str]] = {
    "server": {"host", "port", "max_body_bytes", "max_batch"},
    "auth": {"jwt_secret", "public_key_file", "jwks_url", "issuer", "audience"},
    "policy": {"path", "engine", "opa_url", "opa_timeout_ms", "bundle_verification_key_file"},
    "audit": {
        "database_url",
        "signing_key_file",
        "checkpoint_every",
        "checkpoint_seconds",
        "origin",
    },
}
DOCUMENTED_LEDGER_KEYS = {"name", "url", "chain_id", "kind", "default", "native_asset"}

K8S_KINDS = {
    "Namespace",
    "ConfigMap",
    "Secret",
    "Deployment",
    "Service",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
}

# Long-running compose services that may go without a healthcheck, and why.
COMPOSE_HEALTHCHECK_EXEMPT = {
    "opa": "the OPA image has no shell or HTTP client; the gateway's /readyz covers it",
}


# --- helpers -------------------------------------------------------------------------------


def tool(name: str) -> str:
    """The validator's executable: beside the running interpreter (virtualenv) or on PATH.
    A missing validator fails the test: CI installs it with the `test` extra."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (pip install -e '.[test]')")
    return found


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)


def output(proc: subprocess.CompletedProcess[str]) -> str:
    return (proc.stdout + proc.stderr).strip()


def hadolint(path: Path) -> list[str]:
    proc = run(tool("hadolint"), "--no-color", str(path))
    text = output(proc)
    if proc.returncode != 0 or text:
        return [f"hadolint exit {proc.returncode}: {text}"]
    return []


def yamllint(paths: list[Path]) -> list[str]:
    proc = run(
        tool("yamllint"), "-s", "-f", "parsable", "-c", str(YAMLLINT_CONFIG), *map(str, paths)
    )
    text = output(proc)
    if proc.returncode != 0 or text:
        return [f"yamllint exit {proc.returncode}: {text}"]
    return []


def kubernetes_validate(path: Path) -> list[str]:
    """Strict schema validation; any line other than "INFO ... passed" is a problem
    (kubernetes-validate only warns, exit 0, for a kind/apiVersion it has no schema for)."""
    proc = run(tool("kubernetes-validate"), "--strict", "-k", K8S_VERSION, str(path))
    problems = [
        line
        for line in output(proc).splitlines()
        if line.strip() and not (line.startswith("INFO ") and " passed " in line)
    ]
    if proc.returncode != 0 and not problems:
        problems.append(f"kubernetes-validate exit {proc.returncode}")
    passed = output(proc).count(" passed for resource ")
    documents = len(load_yaml_documents(path))
    if not problems and passed != documents:
        problems.append(f"{passed} of {documents} resources validated")
    return problems


def compose_schema(path: Path) -> list[str]:
    proc = run(tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path))
    if proc.returncode != 0:
        return [f"check-jsonschema exit {proc.returncode}: {output(proc)}"]
    return []


def load_yaml_documents(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [doc for doc in yaml.safe_load_all(fh) if doc]


def deploy_yaml_files() -> list[Path]:
    return sorted([COMPOSE, YAMLLINT_CONFIG, *K8S_DIR.glob("*.yaml")])


def k8s_files() -> list[Path]:
    return sorted(K8S_DIR.glob("*.yaml"))


def k8s_resources() -> list[dict[str, Any]]:
    return [doc for path in k8s_files() for doc in load_yaml_documents(path)]


def compose_doc() -> dict[str, Any]:
    docs = load_yaml_documents(COMPOSE)
    assert len(docs) == 1, "compose.yaml holds one document"
    return docs[0]


# --- Dockerfile parsing ----------------------------------------------------------------------


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list) and all(isinstance(x, str) for x in value), arguments
    return value


def dockerfile_problems(text: str) -> list[str]:
    problems: list[str] = []
    instructions = dockerfile_instructions(text)
    froms = [args for word, args in instructions if word == "FROM"]
    if len(froms) < 2:
        problems.append("not a multi-stage build")
    for args in froms:
        image = args.split()[0]
        if not image.startswith("python:3.11-slim"):
            problems.append(f"base image {image} is not python:3.11-slim")
    final = instructions[max(i for i, (w, _) in enumerate(instructions) if w == "FROM") :]
    words = {w: a for w, a in final}
    user = words.get("USER", "")
    if not user or user.split(":")[0] in ("root", "0"):
        problems.append("the final stage does not switch to a non-root USER")
    elif not user.split(":")[0].isdigit():
        problems.append("USER is not numeric (Kubernetes cannot verify runAsNonRoot)")
    if words.get("EXPOSE", "").split() != [str(GATEWAY_PORT)]:
        problems.append(f"EXPOSE is not {GATEWAY_PORT}")
    health = words.get("HEALTHCHECK", "")
    if f"127.0.0.1:{GATEWAY_PORT}{LIVENESS_PATH}'" not in health or "urllib" not in health:
        problems.append(f"HEALTHCHECK does not GET {LIVENESS_PATH} with urllib")
    if "ENTRYPOINT" not in words or "CMD" not in words:
        problems.append("ENTRYPOINT and CMD must both be set")
    else:
        argv = exec_form(words["ENTRYPOINT"]) + exec_form(words["CMD"])
        if argv[:1] != ["governance"]:
            problems.append(f"the image does not run the governance CLI: {argv}")
        else:
            problems += cli_problems(argv[1:], require=("serve",))
            problems += serve_binding_problems(argv[1:])
    return problems


def serve_binding_problems(argv: list[str]) -> list[str]:
    flags = dict(zip(argv[1::2], argv[2::2], strict=False)) if argv[:1] == ["serve"] else {}
    problems = []
    if flags.get("--config") != CONFIG_PATH_IN_IMAGE:
        problems.append(f"serve --config is not {CONFIG_PATH_IN_IMAGE}: {argv}")
    if flags.get("--host") != "0.0.0.0":
        problems.append(f"serve does not bind 0.0.0.0: {argv}")
    if flags.get("--port") != str(GATEWAY_PORT):
        problems.append(f"serve --port is not {GATEWAY_PORT}: {argv}")
    return problems


def cli_problems(argv: list[str], require: tuple[str, ...] | None = None) -> list[str]:
    """argv after `governance`: a documented sub-command with documented flags, each flag that
    takes a value followed by one, and the flags that sub-command needs here."""
    command = next(
        (c for c in sorted(CLI, key=len, reverse=True) if tuple(argv[: len(c)]) == c), None
    )
    if command is None:
        return [f"undocumented governance sub-command: {argv}"]
    if require is not None and command != require:
        return [f"expected `governance {' '.join(require)}`, got {argv}"]
    problems: list[str] = []
    seen: set[str] = set()
    positionals = 0
    rest = argv[len(command) :]
    i = 0
    while i < len(rest):
        token = rest[i]
        if not token.startswith("--"):
            positionals += 1
            if positionals > CLI_POSITIONALS.get(command, 0):
                problems.append(f"unexpected argument {token!r} in {argv}")
            i += 1
            continue
        if token not in CLI[command]:
            problems.append(f"undocumented flag {token} for governance {' '.join(command)}")
            i += 1
            continue
        seen.add(token)
        if CLI[command][token]:
            if i + 1 >= len(rest) or rest[i + 1].startswith("--"):
                problems.append(f"{token} needs a value in {argv}")
            i += 2
        else:
            i += 1
    missing = CLI_REQUIRED[command] - seen
    if missing:
        problems.append(f"governance {' '.join(command)} lacks {sorted(missing)}")
    return problems


# --- .dockerignore ---------------------------------------------------------------------------


def dockerignore_excludes(patterns: list[str], path: str) -> bool:
    """Docker's rule: the last pattern that matches the path or one of its parents wins."""
    excluded = False
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        negate = pattern.startswith("!")
        regex = dockerignore_regex((pattern[1:] if negate else pattern).strip("/"))
        if any(re.fullmatch(regex, c) for c in candidates):
            excluded = not negate
    return excluded


def dockerignore_regex(pattern: str) -> str:
    """Go filepath.Match plus Docker's `**` (any number of directories)."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[" and "]" in pattern[i:]:
            end = pattern.index("]", i)
            out, i = out + pattern[i : end + 1], end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return out


def dockerignore_patterns(text: str) -> list[str]:
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def copied_sources(dockerfile_text: str) -> list[str]:
    sources = []
    for word, args in dockerfile_instructions(dockerfile_text):
        if word == "COPY" and "--from=" not in args:
            sources += args.split()[:-1]
    return sources


def dockerignore_problems(dockerfile_text: str, ignore_text: str) -> list[str]:
    patterns = dockerignore_patterns(ignore_text)
    problems = [
        f"{src} is copied by the Dockerfile but excluded from the build context"
        for src in copied_sources(dockerfile_text)
        if dockerignore_excludes(patterns, src.rstrip("/").removeprefix("./"))
    ]
    for secret in (
        "deploy/secrets/jwt_secret",
        ".venv/bin/python",
        "governance.db",
        "checkpoint.key",
        ".git/HEAD",
    ):
        if not dockerignore_excludes(patterns, secret):
            problems.append(f"{secret} would enter the build context")
    return problems


# --- compose ---------------------------------------------------------------------------------


def image_tag_problem(where: str, image: str) -> str | None:
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    if digest:
        return None
    if ":" not in last:
        return f"{where}: image {image} has no tag"
    if last.rsplit(":", 1)[1] in ("latest", ""):
        return f"{where}: image {image} uses the latest tag"
    return None


def compose_command(service: dict[str, Any], key: str) -> list[str]:
    value = service.get(key) or []
    argv = shlex.split(value) if isinstance(value, str) else [str(x) for x in value]
    return [x.replace("$$", "$") for x in argv]


def governance_argv(service: dict[str, Any]) -> list[str] | None:
    """The argv the governance CLI gets in this service, or None when it does not run it.
    The image's entry point is `governance`; a `sh -c '... exec governance "$@"' governance`
    wrapper passes the command through unchanged."""
    entry = compose_command(service, "entrypoint")
    command = compose_command(service, "command")
    if not entry:
        return command if "build" in service else None
    if entry == ["governance"]:
        return command
    wrapper = entry[:2] in (["/bin/sh", "-c"], ["sh", "-c"]) and len(entry) >= 3
    if wrapper and 'exec governance "$@"' in entry[2]:
        return command
    return None


def compose_env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def dict_depends(service: dict[str, Any]) -> dict[str, Any]:
    depends = service.get("depends_on") or {}
    if isinstance(depends, list):
        return {d: {"condition": "service_started"} for d in depends}
    return dict(depends)


def compose_problems(doc: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    services: dict[str, Any] = doc.get("services") or {}
    for required in ("gateway", "opa", "postgres", "anvil"):
        if required not in services:
            problems.append(f"service {required} is missing")
    top_secrets = set((doc.get("secrets") or {}).keys())
    top_volumes = set((doc.get("volumes") or {}).keys())
    one_shot = {
        target
        for svc in services.values()
        for target, spec in dict_depends(svc).items()
        if (spec or {}).get("condition") == "service_completed_successfully"
    }
    for name, svc in services.items():
        if "image" not in svc and "build" not in svc:
            problems.append(f"{name}: neither image nor build")
        if "image" in svc:
            problem = image_tag_problem(name, str(svc["image"]))
            if problem:
                problems.append(problem)
        if (
            name not in one_shot
            and "healthcheck" not in svc
            and name not in COMPOSE_HEALTHCHECK_EXEMPT
        ):
            problems.append(f"{name}: long-running service without a healthcheck")
        if name in one_shot and str(svc.get("restart", "no")) != "no":
            problems.append(f"{name}: one-shot service restarts")
        health = svc.get("healthcheck")
        if health is not None and not health.get("test"):
            problems.append(f"{name}: healthcheck without a test")
        for target, spec in dict_depends(svc).items():
            if target not in services:
                problems.append(f"{name}: depends_on unknown service {target}")
                continue
            condition = (spec or {}).get("condition", "service_started")
            if condition == "service_healthy" and "healthcheck" not in services[target]:
                problems.append(f"{name}: waits for {target} to be healthy, it has no healthcheck")
        for secret in svc.get("secrets") or []:
            source = secret["source"] if isinstance(secret, dict) else secret
            if source not in top_secrets:
                problems.append(f"{name}: secret {source} is not defined")
        for volume in svc.get("volumes") or []:
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source")
            if source and not source.startswith((".", "/", "~")) and source not in top_volumes:
                problems.append(f"{name}: volume {source} is not defined")
        argv = governance_argv(svc)
        if argv is not None:
            problems += [f"{name}: {p}" for p in cli_problems(argv)]
        for var in compose_env(svc):
            if var.startswith("GOVERNANCE_") and var not in DOCUMENTED_ENV:
                problems.append(f"{name}: undocumented environment variable {var}")
    gateway = services.get("gateway")
    if gateway:
        problems += compose_gateway_problems(gateway, services)
    return problems


def compose_gateway_problems(gateway: dict[str, Any], services: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    build = gateway.get("build") or {}
    if (
        not isinstance(build, dict)
        or build.get("context") != ".."
        or build.get("dockerfile") != "deploy/Dockerfile"
    ):
        problems.append("gateway: build is not context .. with deploy/Dockerfile")
    argv = governance_argv(gateway) or []
    problems += cli_problems(argv, require=("serve",)) + serve_binding_problems(argv)
    if not any(p.endswith(f":{GATEWAY_PORT}") for p in map(str, gateway.get("ports") or [])):
        problems.append(f"gateway: container port {GATEWAY_PORT} is not published")
    test = " ".join(map(str, (gateway.get("healthcheck") or {}).get("test") or []))
    if f"{GATEWAY_PORT}{READINESS_PATH}'" not in test:
        problems.append(f"gateway: healthcheck does not GET {READINESS_PATH}")
    env = compose_env(gateway)
    expected = {
        "GOVERNANCE_POLICY_ENGINE": lambda v: v == "remote",
        "GOVERNANCE_OPA_URL": lambda v: v == "http://opa:8181",
        "GOVERNANCE_DATABASE_URL": lambda v: re.match(r"postgresql://[^@]+@postgres:5432/", v),
        "GOVERNANCE_LEDGER_URL": lambda v: v == "http://anvil:8545",
    }
    for var, ok in expected.items():
        if var not in env or not ok(env[var]):
            problems.append(f"gateway: {var}={env.get(var)!r} does not point at its service")
    sources = {s["source"] if isinstance(s, dict) else s for s in gateway.get("secrets") or []}
    for secret in ("jwt_secret", "checkpoint_key"):
        if secret not in sources:
            problems.append(f"gateway: secret {secret} is not mounted")
    for dep in ("postgres", "opa", "anvil"):
        if dep not in dict_depends(gateway):
            problems.append(f"gateway: does not depend on {dep}")
    opa = services.get("opa") or {}
    if not str(opa.get("image", "")).startswith("openpolicyagent/opa:"):
        problems.append("opa: not the openpolicyagent/opa image")
    opa_cmd = compose_command(opa, "command")
    if opa_cmd[:2] != ["run", "--server"] or ":8181" not in opa_cmd:
        problems.append(f"opa: not `run --server --addr :8181`: {opa_cmd}")
    anvil_cmd = compose_command(services.get("anvil") or {}, "command")
    if env.get("GOVERNANCE_CHAIN_ID") not in anvil_cmd:
        problems.append("anvil: --chain-id does not match GOVERNANCE_CHAIN_ID")
    if not str((services.get("postgres") or {}).get("image", "")).startswith("postgres:15"):
        problems.append("postgres: not PostgreSQL 15")
    return problems


# --- Kubernetes ------------------------------------------------------------------------------


def pod_containers(pod: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for c in pod.get("initContainers") or []:
        yield f"initContainer {c['name']}", c
    for c in pod.get("containers") or []:
        yield f"container {c['name']}", c


def k8s_problems(resources: list[dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for r in resources:
        by_kind.setdefault(r["kind"], []).append(r)
    missing = K8S_KINDS - set(by_kind)
    if missing:
        problems.append(f"missing kinds: {sorted(missing)}")
    namespaces = {r["metadata"]["name"] for r in by_kind.get("Namespace", [])}
    for r in resources:
        if r["kind"] != "Namespace" and r["metadata"].get("namespace") not in namespaces:
            problems.append(f"{r['kind']}/{r['metadata']['name']}: not in the shipped namespace")
    configmaps = {r["metadata"]["name"]: r for r in by_kind.get("ConfigMap", [])}
    secrets = {r["metadata"]["name"]: r for r in by_kind.get("Secret", [])}
    deployments = by_kind.get("Deployment", [])
    if len(deployments) != 1:
        return [*problems, "expected exactly one Deployment"]
    deployment = deployments[0]
    template = deployment["spec"]["template"]
    labels = template["metadata"]["labels"]
    pod = template["spec"]

    def selects(selector: dict[str, str]) -> bool:
        return bool(selector) and all(labels.get(k) == v for k, v in selector.items())

    if not selects(deployment["spec"]["selector"]["matchLabels"]):
        problems.append("Deployment selector does not match its pod labels")
    for svc in by_kind.get("Service", []):
        if not selects(svc["spec"].get("selector") or {}):
            problems.append(f"Service/{svc['metadata']['name']} does not select the gateway pods")
    for pdb in by_kind.get("PodDisruptionBudget", []):
        if not selects(pdb["spec"]["selector"].get("matchLabels") or {}):
            problems.append("PodDisruptionBudget does not select the gateway pods")
    for hpa in by_kind.get("HorizontalPodAutoscaler", []):
        ref = hpa["spec"]["scaleTargetRef"]
        if (ref["kind"], ref["name"]) != ("Deployment", deployment["metadata"]["name"]):
            problems.append("HorizontalPodAutoscaler does not scale the Deployment")
        if hpa["spec"].get("minReplicas", 1) < 2:
            problems.append("HorizontalPodAutoscaler allows a single replica")

    pod_sc = pod.get("securityContext") or {}
    if pod_sc.get("runAsNonRoot") is not True:
        problems.append("pod securityContext.runAsNonRoot is not true")
    if pod_sc.get("runAsUser", 1) == 0:
        problems.append("pod runs as uid 0")
    for where, c in pod_containers(pod):
        sc = c.get("securityContext") or {}
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: allowPrivilegeEscalation is not false")
        if sc.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: readOnlyRootFilesystem is not true")
        if (sc.get("capabilities") or {}).get("drop") != ["ALL"]:
            problems.append(f"{where}: capabilities do not drop ALL")
        if sc.get("privileged"):
            problems.append(f"{where}: privileged")
        resources = c.get("resources") or {}
        for part in ("requests", "limits"):
            if not {"cpu", "memory"} <= set(resources.get(part) or {}):
                problems.append(f"{where}: resources.{part} needs cpu and memory")
        problem = image_tag_problem(where, c["image"])
        if problem:
            problems.append(problem)
    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    for where, c in pod_containers(pod):
        for mount in c.get("volumeMounts") or []:
            if mount["name"] not in volumes:
                problems.append(f"{where}: mounts unknown volume {mount['name']}")
    for v in volumes.values():
        if "configMap" in v and v["configMap"]["name"] not in configmaps:
            problems.append(f"volume {v['name']}: ConfigMap {v['configMap']['name']} not shipped")
        if "secret" in v:
            name = v["secret"]["secretName"]
            if name not in secrets:
                problems.append(f"volume {v['name']}: Secret {name} not shipped")
            for item in v["secret"].get("items") or []:
                if name in secrets and item["key"] not in secrets[name].get("stringData", {}):
                    problems.append(f"volume {v['name']}: Secret {name} has no key {item['key']}")

    containers = {c["name"]: c for c in pod.get("containers") or []}
    gateway = containers.get("gateway")
    if gateway is None:
        return [*problems, "no gateway container"]
    problems += k8s_gateway_problems(gateway, secrets)
    for name, init in ((c["name"], c) for c in pod.get("initContainers") or []):
        command = init.get("command") or []
        if command[:1] == ["governance"]:
            problems += [f"initContainer {name}: {p}" for p in cli_problems(command[1:])]
    opa = containers.get("opa")
    if opa is None:
        problems.append("no OPA sidecar container")
    else:
        if not opa["image"].startswith("openpolicyagent/opa:"):
            problems.append("opa: not the openpolicyagent/opa image")
        args = opa.get("args") or []
        if args[:2] != ["run", "--server"]:
            problems.append("opa: not `run --server`")
        opa_url = next(
            (e.get("value") for e in gateway.get("env") or [] if e["name"] == "GOVERNANCE_OPA_URL"),
            "",
        )
        addr = args[args.index("--addr") + 1] if "--addr" in args else ":8181"
        host, _, port = addr.rpartition(":")
        if opa_url != f"http://{host if host not in ('', '0.0.0.0') else '127.0.0.1'}:{port}":
            problems.append(f"gateway GOVERNANCE_OPA_URL {opa_url} is not OPA's --addr {addr}")
        for probe in ("livenessProbe", "readinessProbe"):
            if probe not in opa:
                problems.append(f"opa: no {probe}")
    return problems


def k8s_gateway_problems(gateway: dict[str, Any], secrets: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    argv = (gateway.get("command") or ["governance"])[1:] + (gateway.get("args") or [])
    problems += cli_problems(argv, require=("serve",)) + serve_binding_problems(argv)
    ports = {p.get("name"): p["containerPort"] for p in gateway.get("ports") or []}
    for probe, path in (("livenessProbe", LIVENESS_PATH), ("readinessProbe", READINESS_PATH)):
        get = (gateway.get(probe) or {}).get("httpGet") or {}
        if get.get("path") != path:
            problems.append(f"gateway {probe} path {get.get('path')!r} is not {path}")
        port = get.get("port")
        if ports.get(port, port) != GATEWAY_PORT:
            problems.append(f"gateway {probe} port {port!r} is not {GATEWAY_PORT}")
    startup = ((gateway.get("startupProbe") or {}).get("httpGet") or {}).get("path")
    if startup not in (None, LIVENESS_PATH):
        problems.append(f"gateway startupProbe path {startup!r} is not {LIVENESS_PATH}")
    env = {e["name"]: e for e in gateway.get("env") or []}
    for var in env:
        if var.startswith("GOVERNANCE_") and var not in DOCUMENTED_ENV:
            problems.append(f"gateway: undocumented environment variable {var}")
    if env.get("GOVERNANCE_POLICY_ENGINE", {}).get("value") != "remote":
        problems.append("gateway: GOVERNANCE_POLICY_ENGINE is not remote (OPA sidecar)")
    for var in ("GOVERNANCE_JWT_SECRET", "GOVERNANCE_DATABASE_URL"):
        ref = ((env.get(var) or {}).get("valueFrom") or {}).get("secretKeyRef")
        if not ref:
            problems.append(f"gateway: {var} does not come from a Secret")
        elif ref["key"] not in secrets.get(ref["name"], {}).get("stringData", {}):
            problems.append(f"gateway: {var} refers to a missing Secret key {ref}")
    mounts = {m["mountPath"]: m for m in gateway.get("volumeMounts") or []}
    if str(Path(CONFIG_PATH_IN_IMAGE).parent) not in mounts:
        problems.append("gateway: governance.toml is not mounted from the ConfigMap")
    return problems


def secret_placeholder_problems(resources: list[dict[str, Any]]) -> list[str]:
    problems = []
    for r in resources:
        if r["kind"] != "Secret":
            continue
        if r.get("data"):
            problems.append(f"Secret/{r['metadata']['name']}: ships base64 data, not placeholders")
        for key, value in (r.get("stringData") or {}).items():
            if "PLACEHOLDER" not in value:
                problems.append(f"Secret/{r['metadata']['name']}: {key} is not marked PLACEHOLDER")
    return problems


# --- configuration ---------------------------------------------------------------------------


def config_problems(text: str) -> list[str]:
    doc = tomllib.loads(text)
    problems = []
    for section, value in doc.items():
        if section == "ledgers":
            for i, ledger in enumerate(value):
                for key in set(ledger) - DOCUMENTED_LEDGER_KEYS:
                    problems.append(f"ledgers[{i}].{key} is not a documented key")
            continue
        if section not in DOCUMENTED_CONFIG:
            problems.append(f"[{section}] is not a documented section")
            continue
        for key in set(value) - DOCUMENTED_CONFIG[section]:
            problems.append(f"{section}.{key} is not a documented key")
    if "jwt_secret" in doc.get("auth", {}):
        problems.append("auth.jwt_secret is in the file; it belongs in GOVERNANCE_JWT_SECRET")
    return problems


def configmap_toml(resources: list[dict[str, Any]]) -> str:
    return next(
        r["data"]["governance.toml"]
        for r in resources
        if r["kind"] == "ConfigMap" and "governance.toml" in r.get("data", {})
    )


# === tests: the shipped files ================================================================


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    assert hadolint(DOCKERFILE) == []


def test_dockerfile_builds_the_documented_image() -> None:
    assert dockerfile_problems(DOCKERFILE.read_text(encoding="utf-8")) == []


def test_build_context_keeps_what_the_dockerfile_copies() -> None:
    assert DOCKERIGNORE.is_file(), "BuildKit reads deploy/Dockerfile.dockerignore"
    problems = dockerignore_problems(
        DOCKERFILE.read_text(encoding="utf-8"), DOCKERIGNORE.read_text(encoding="utf-8")
    )
    assert problems == []


def test_yamllint_strict_passes_on_all_deploy_yaml() -> None:
    files = deploy_yaml_files()
    assert COMPOSE in files and set(k8s_files()) <= set(files) and k8s_files()
    assert yamllint(files) == []


@pytest.mark.parametrize("path", k8s_files(), ids=lambda p: p.name)
def test_kubernetes_validate_strict_passes(path: Path) -> None:
    assert kubernetes_validate(path) == []


def test_manifests_are_complete_and_hardened() -> None:
    assert k8s_problems(k8s_resources()) == []


def test_secret_ships_only_marked_placeholders() -> None:
    assert secret_placeholder_problems(k8s_resources()) == []


def test_compose_matches_the_compose_spec_schema() -> None:
    assert compose_schema(COMPOSE) == []


def test_compose_structure() -> None:
    assert compose_problems(compose_doc()) == []


def test_container_config_uses_documented_keys_and_loads() -> None:
    text = CONTAINER_TOML.read_text(encoding="utf-8")
    assert config_problems(text) == []
    from governance.config import load_settings

    settings = load_settings(str(CONTAINER_TOML), {"GOVERNANCE_JWT_SECRET": "x" * 32})
    assert settings.server.port == GATEWAY_PORT
    assert settings.default_ledger.name == "main"


def test_configmap_carries_the_same_container_config() -> None:
    assert configmap_toml(k8s_resources()) == CONTAINER_TOML.read_text(encoding="utf-8")


def test_contract_constants_agree_with_design_doc() -> None:
    text = (REPO / "docs" / "design.md").read_text(encoding="utf-8")
    assert f"`GET {LIVENESS_PATH}`" in text
    assert f"`GET {READINESS_PATH}`" in text
    assert "`governance serve --config FILE --host --port`" in text
    for var in DOCUMENTED_ENV - {
        "GOVERNANCE_POLICY_ENGINE",
        "GOVERNANCE_OPA_URL",
        "GOVERNANCE_SIGNING_KEY_FILE",
    }:
        assert f"`{var}`" in text, var


@pytest.mark.parametrize("command", sorted(CLI), ids=" ".join)
def test_cli_table_matches_the_real_cli(command: tuple[str, ...]) -> None:
    proc = run(sys.executable, "-m", "governance.cli", *command, "--help")
    assert proc.returncode == 0, output(proc)
    documented = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", proc.stdout)) - {"--help"}
    assert set(CLI[command]) <= documented, f"governance {' '.join(command)} --help: {proc.stdout}"


# === tests: every validator and check can fail ===============================================


def test_hadolint_reports_a_broken_dockerfile(tmp_path: Path) -> None:
    broken = DOCKERFILE.read_text(encoding="utf-8").replace(
        "FROM python:3.11-slim AS runtime",
        "FROM python:latest AS runtime\nRUN apt-get update && apt-get install -y curl",
    )
    path = tmp_path / "Dockerfile"
    path.write_text(broken, encoding="utf-8")
    problems = hadolint(path)
    assert problems and "DL3007" in problems[0] and "DL3008" in problems[0]


def test_dockerfile_checks_report_a_broken_dockerfile() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert any(
        "non-root" in p for p in dockerfile_problems(text.replace("USER 10001:10001", "USER root"))
    )
    assert any("--prot" in p for p in dockerfile_problems(text.replace('"--port"', '"--prot"')))
    assert any("/healthz" in p for p in dockerfile_problems(text.replace("/healthz'", "/health'")))


def test_dockerignore_check_reports_an_excluded_source() -> None:
    text = DOCKERIGNORE.read_text(encoding="utf-8")
    problems = dockerignore_problems(DOCKERFILE.read_text(encoding="utf-8"), text + "\nREADME.md\n")
    assert any("README.md" in p for p in problems)
    problems = dockerignore_problems(
        DOCKERFILE.read_text(encoding="utf-8"), text.replace("*\n", "", 1)
    )
    assert any("would enter the build context" in p for p in problems)


def test_yamllint_reports_broken_yaml(tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text(
        COMPOSE.read_text(encoding="utf-8").replace(
            "name: governance\n", "name: governance   \nname: again\n"
        ),
        encoding="utf-8",
    )
    problems = yamllint([path])
    assert problems and "key-duplicates" in problems[0] and "trailing-spaces" in problems[0]


def test_kubernetes_validate_reports_an_unknown_field(tmp_path: Path) -> None:
    path = tmp_path / "deployment.yaml"
    text = (K8S_DIR / "30-deployment.yaml").read_text(encoding="utf-8")
    path.write_text(
        text.replace("readOnlyRootFilesystem: true", "readOnlyRootFS: true", 1), encoding="utf-8"
    )
    problems = kubernetes_validate(path)
    assert problems and "readOnlyRootFS" in problems[0]


def test_kubernetes_validate_reports_a_wrong_type(tmp_path: Path) -> None:
    path = tmp_path / "service.yaml"
    text = (K8S_DIR / "40-service.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("port: 8080", 'port: "8080"'), encoding="utf-8")
    assert kubernetes_validate(path)


def test_kubernetes_validate_unknown_api_version_is_a_failure(tmp_path: Path) -> None:
    path = tmp_path / "hpa.yaml"
    text = (K8S_DIR / "50-hpa.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("autoscaling/v2", "autoscaling/v9"), encoding="utf-8")
    problems = kubernetes_validate(path)
    assert problems and "WARN" in problems[0]


def test_manifest_checks_report_weakened_manifests() -> None:
    resources = k8s_resources()

    def mutated(change: Any) -> list[str]:
        copy_ = copy.deepcopy(resources)
        pod = next(r for r in copy_ if r["kind"] == "Deployment")["spec"]["template"]["spec"]
        change(pod, copy_)
        return k8s_problems(copy_)

    def gateway(pod: dict[str, Any]) -> dict[str, Any]:
        return next(c for c in pod["containers"] if c["name"] == "gateway")

    assert any(
        "drop ALL" in p
        for p in mutated(
            lambda pod, _: gateway(pod)["securityContext"]["capabilities"].update(drop=["NET_RAW"])
        )
    )
    assert any(
        "readinessProbe path" in p
        for p in mutated(
            lambda pod, _: gateway(pod)["readinessProbe"]["httpGet"].update(path="/healthz")
        )
    )
    assert any(
        "livenessProbe port" in p
        for p in mutated(lambda pod, _: gateway(pod)["livenessProbe"]["httpGet"].update(port=9090))
    )
    assert any(
        "runAsNonRoot" in p
        for p in mutated(lambda pod, _: pod["securityContext"].pop("runAsNonRoot"))
    )
    assert any(
        "resources.limits" in p
        for p in mutated(lambda pod, _: gateway(pod)["resources"].pop("limits"))
    )
    assert any(
        "latest" in p
        for p in mutated(
            lambda pod, _: gateway(pod).update(image="registry.example.com/governance:latest")
        )
    )
    assert any(
        "undocumented flag --listen" in p
        for p in mutated(
            lambda pod, _: gateway(pod).update(args=["serve", "--listen", "0.0.0.0:8080"])
        )
    )
    assert any(
        "undocumented environment" in p
        for p in mutated(
            lambda pod, _: gateway(pod)["env"].append({"name": "GOVERNANCE_DB", "value": "x"})
        )
    )
    assert any(
        "missing kinds" in p
        for p in mutated(
            lambda _, rs: rs.remove(next(r for r in rs if r["kind"] == "PodDisruptionBudget"))
        )
    )
    assert any(
        "Service/" in p
        for p in mutated(
            lambda _, rs: next(r for r in rs if r["kind"] == "Service")["spec"]["selector"].update(
                {"app.kubernetes.io/component": "other"}
            )
        )
    )
    resources[3:3] = [
        {
            "kind": "Secret",
            "metadata": {"name": "x"},
            "stringData": {"jwt-secret": "hunter2hunter2hunter2"},
        }
    ]
    assert secret_placeholder_problems(resources)


def test_compose_schema_reports_a_broken_compose(tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text(
        COMPOSE.read_text(encoding="utf-8").replace(
            "    image: postgres:15", "    imagee: postgres:15"
        ),
        encoding="utf-8",
    )
    problems = compose_schema(path)
    assert problems and "imagee" in problems[0]


def test_compose_checks_report_broken_stacks() -> None:
    doc = compose_doc()

    def mutated(change: Any) -> list[str]:
        copy_ = copy.deepcopy(doc)
        change(copy_["services"])
        return compose_problems(copy_)

    assert any("service anvil is missing" in p for p in mutated(lambda s: s.pop("anvil")))
    assert any(
        "depends_on unknown service" in p
        for p in mutated(
            lambda s: s["gateway"]["depends_on"].update(redis={"condition": "service_started"})
        )
    )
    assert any(
        "without a healthcheck" in p for p in mutated(lambda s: s["postgres"].pop("healthcheck"))
    )
    assert any(
        "latest tag" in p
        for p in mutated(lambda s: s["anvil"].update(image="ghcr.io/foundry-rs/foundry:latest"))
    )
    assert any(
        "has no tag" in p for p in mutated(lambda s: s["opa"].update(image="openpolicyagent/opa"))
    )
    assert any(
        "neither image nor build" in p for p in mutated(lambda s: s["postgres"].pop("image"))
    )
    assert any(
        "undocumented flag --bind" in p
        for p in mutated(lambda s: s["gateway"].update(command=["serve", "--bind", "0.0.0.0:8080"]))
    )
    assert any(
        "GOVERNANCE_OPA_URL" in p
        for p in mutated(
            lambda s: s["gateway"]["environment"].update(GOVERNANCE_OPA_URL="http://localhost:8181")
        )
    )
    assert any(
        "/readyz" in p
        for p in mutated(lambda s: s["gateway"]["healthcheck"].update(test=["CMD", "true"]))
    )


def test_cli_check_reports_undocumented_commands() -> None:
    assert cli_problems(["serve", "--config", "a", "--host", "0.0.0.0", "--port", "8080"]) == []
    assert cli_problems(["serve", "--config", "a", "--host", "0.0.0.0", "--port"])
    assert cli_problems(["serve", "--config", "a", "--host", "0.0.0.0"])
    assert cli_problems(["run", "--config", "a"])
    assert cli_problems(["pdp", "--policy", "/p", "--port", "8181"]) == []
    assert cli_problems(["pdp", "--policy", "/p", "--addr", ":8181"])
    assert cli_problems(["serve", "extra", "--config", "a", "--host", "h", "--port", "1"])
    assert cli_problems(["policy", "build", "/p", "--output", "/b.tar.gz"]) == []
    assert cli_problems(["policy", "build", "/p", "/q", "--output", "/b.tar.gz"])
    assert cli_problems(["policy", "build", "/p"])


def test_config_check_reports_undocumented_keys() -> None:
    text = CONTAINER_TOML.read_text(encoding="utf-8")
    assert config_problems(text + "\n[metrics]\nport = 9090\n")
    assert config_problems(text.replace("[server]\n", "[server]\nworkers = 4\n"))
    assert config_problems(text.replace("[auth]\n", '[auth]\njwt_secret = "0123456789abcdef"\n'))
