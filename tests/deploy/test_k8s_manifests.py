"""The Kubernetes manifests: deploy/k8s/base and the production overlay.

Every manifest is validated against Kubernetes 1.28's schemas (strict: an
unknown or misplaced field fails), and the production overlay is built here
the way kustomize builds it (strategic-merge patches, replicas, images,
namespace) and validated too. Then the properties the schemas cannot see:
probes, sizes, non-root pods, budgets and autoscalers that match their
Deployments, one Secret referenced and never defined, every variable a real
setting, and each process able to start in production on the environment
its manifest gives it (its own settings' production check).
"""

from __future__ import annotations

import copy
import io
import re
from functools import cache
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set, Tuple, Type
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import kubernetes_validate.utils
import pytest
import yaml
from cryptography.fernet import Fernet
from dockerfile_parse import DockerfileParser

from actions.settings import ActionSettings
from backend.settings import BackendSettings
from bot.settings import BotSettings
from lapor.paths import REPO_ROOT as CODE_ROOT
from lapor.paths import VAR
from lapor.settings import DEFAULT_MAX_PHOTO_BYTES, AppSettings, MiB

REPO_ROOT = Path(__file__).resolve().parents[2]
BASE = REPO_ROOT / "deploy" / "k8s" / "base"
PRODUCTION = REPO_ROOT / "deploy" / "k8s" / "overlays" / "production"
CONTAINERS = REPO_ROOT / "deploy" / "containers"
KUBERNETES = "1.28"
SECRET = "lapor-secrets"
CONFIG = "lapor-config"
NAMESPACE = "lapor-112"
# The image's working directory: the repository's root inside the container.
APP_ROOT = "/app"

Doc = Dict[str, Any]

# Each process package and the settings it loads (python -m <package> ...).
SETTINGS: Dict[str, Type[AppSettings]] = {
    "backend": BackendSettings,
    "actions": ActionSettings,
    "bot": BotSettings,
}
# The field naming each server's port in its settings.
PORT_FIELD = {"backend": "port", "actions": "port", "bot": "rasa_port"}
# Variables read outside the settings classes, with the file that reads them:
# the test checks that file still names them, so a typo fails either way.
READ_ELSEWHERE = {
    "REDIS_HOST": "endpoints.production.yml",
    "REDIS_PORT": "endpoints.production.yml",
    "LOG_LEVEL": "lapor/logs.py",
}
CLUSTER_SCOPED = {"Namespace"}
WORKLOADS = {"Deployment", "Job"}


# --- reading and building ------------------------------------------------------


def load(path: Path) -> List[Doc]:
    with path.open(encoding="utf-8") as stream:
        return [doc for doc in yaml.safe_load_all(stream) if doc]


def kustomization(folder: Path) -> Doc:
    loaded = load(folder / "kustomization.yaml")
    assert len(loaded) == 1
    return loaded[0]


def merge(target: Any, patch: Any) -> Any:
    """A strategic merge as far as these manifests need it: maps merge key by
    key (null deletes), lists of named items (containers, env, volumes,
    ports) merge by name, any other list is replaced."""
    if isinstance(target, dict) and isinstance(patch, dict):
        merged = dict(target)
        for key, value in patch.items():
            if value is None:
                merged.pop(key, None)
            elif key in merged:
                merged[key] = merge(merged[key], value)
            else:
                merged[key] = copy.deepcopy(value)
        return merged
    if isinstance(target, list) and isinstance(patch, list) and _named(target) and _named(patch):
        items = {item["name"]: item for item in target}
        order = [item["name"] for item in target]
        for item in patch:
            if item["name"] in items:
                items[item["name"]] = merge(items[item["name"]], item)
            else:
                items[item["name"]], order = copy.deepcopy(item), [*order, item["name"]]
        return [items[name] for name in order]
    return copy.deepcopy(patch)


def _named(items: List[Any]) -> bool:
    return bool(items) and all(isinstance(i, dict) and "name" in i for i in items)


def find(docs: List[Doc], kind: str, name: str) -> Doc:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def pod_specs(doc: Doc) -> List[Doc]:
    if doc["kind"] in WORKLOADS:
        return [doc["spec"]["template"]["spec"]]
    if doc["kind"] == "CronJob":
        return [doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]]
    return []


def containers(doc: Doc) -> List[Doc]:
    return [
        c for spec in pod_specs(doc) for c in spec.get("initContainers", []) + spec["containers"]
    ]


def _image_name(image: str) -> str:
    name = image.split("@")[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    return name


def build(folder: Path) -> List[Doc]:
    """What `kustomize build folder` gives, for what these kustomizations use."""
    spec = kustomization(folder)
    docs: List[Doc] = []
    for entry in spec.get("resources", []):
        target = (folder / entry).resolve()
        docs += build(target) if target.is_dir() else load(target)
    docs = copy.deepcopy(docs)
    for patch_entry in spec.get("patches", []):
        for patch in load(folder / patch_entry["path"]):
            target = find(docs, patch["kind"], patch["metadata"]["name"])
            docs[docs.index(target)] = merge(target, patch)
    for replicas in spec.get("replicas", []):
        find(docs, "Deployment", replicas["name"])["spec"]["replicas"] = replicas["count"]
    for image in spec.get("images", []):
        for doc in docs:
            for container in containers(doc):
                if _image_name(container["image"]) != image["name"]:
                    continue
                name = image.get("newName", image["name"])
                if "digest" in image:
                    container["image"] = f"{name}@{image['digest']}"
                else:
                    container["image"] = f"{name}:{image['newTag']}"
    if "namespace" in spec:
        for doc in docs:
            if doc["kind"] not in CLUSTER_SCOPED:
                doc["metadata"]["namespace"] = spec["namespace"]
    return docs


BASE_DOCS = build(BASE)
PRODUCTION_DOCS = build(PRODUCTION)
BUILDS = {"base": BASE_DOCS, "production": PRODUCTION_DOCS}


def each(kind: str) -> List[Any]:
    """pytest params: (build, document) for every document of this kind."""
    return [
        pytest.param(docs, doc, id=f"{name}-{doc['metadata']['name']}")
        for name, docs in BUILDS.items()
        for doc in docs
        if doc["kind"] == kind
    ]


def every_workload(builds: Tuple[str, ...] = tuple(BUILDS)) -> List[Any]:
    """pytest params: (build, document) for every Deployment and Job."""
    return [
        pytest.param(BUILDS[name], doc, id=f"{name}-{doc['kind']}-{doc['metadata']['name']}")
        for name in builds
        for doc in BUILDS[name]
        if doc["kind"] in WORKLOADS
    ]


def package(container: Doc) -> str:
    """The process package a container runs: `python -m <package> ...`."""
    command = container.get("command", []) + container.get("args", [])
    assert command[:2] == ["python", "-m"], f"{container['name']}: runs {command}"
    return str(command[2])


def config_data(docs: List[Doc]) -> Dict[str, str]:
    return {str(k): str(v) for k, v in find(docs, "ConfigMap", CONFIG)["data"].items()}


def labels_match(selector: Dict[str, str], labels: Dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def deployments(docs: List[Doc]) -> List[Doc]:
    return [d for d in docs if d["kind"] == "Deployment"]


def replicated(docs: List[Doc]) -> List[Doc]:
    return [d for d in deployments(docs) if d["spec"]["replicas"] > 1]


QUANTITY = re.compile(r"^(?P<number>\d+(?:\.\d+)?)(?P<unit>m|Ki|Mi|Gi|Ti|k|M|G|T)?$")
UNITS = {
    None: 1.0,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "Ki": 2.0**10,
    "Mi": 2.0**20,
    "Gi": 2.0**30,
    "Ti": 2.0**40,
}


def quantity(value: Any) -> float:
    match = QUANTITY.match(str(value))
    assert match, f"not a quantity: {value}"
    return float(match["number"]) * UNITS[match["unit"]]


# --- every variable is a real one ----------------------------------------------


def setting_variables() -> Set[str]:
    return {cls.env_name(name) for cls in SETTINGS.values() for name in cls.__fields__}


def secret_variables() -> Set[str]:
    """Secrets and database URLs (they carry passwords), per the settings' own marks."""
    found = set()
    for cls in SETTINGS.values():
        for name, field in cls.__fields__.items():
            extra = field.field_info.extra
            if extra.get("secret_of") or extra.get("database"):
                found.add(cls.env_name(name))
    return found


def variables_used(docs: List[Doc]) -> Iterator[Tuple[str, str]]:
    """(where, name) for every variable a manifest sets or a Secret key it reads."""
    for doc in docs:
        if doc["kind"] == "ConfigMap":
            for key in doc.get("data", {}):
                yield f"ConfigMap/{doc['metadata']['name']}", key
        for container in containers(doc):
            where = f"{doc['kind']}/{doc['metadata']['name']}/{container['name']}"
            for env in container.get("env", []):
                yield where, env["name"]
                source = env.get("valueFrom", {})
                for ref in ("secretKeyRef", "configMapKeyRef"):
                    if ref in source:
                        yield where, source[ref]["key"]


def test_the_settings_are_read_from_the_classes_that_declare_them() -> None:
    # Guard: the set the next test checks against is the real one.
    names = setting_variables()
    assert {"DATABASE_URL", "RASA_TOKEN", "ACTION_ENDPOINT_URL", "OUTBOX_DATABASE_URL"} <= names
    assert {"CONTACT_KEY", "OPEN311_API_KEY", "EDITOR_TOKEN"} <= secret_variables()
    assert "APP_ENV" in names and "app_env" not in names


@pytest.mark.parametrize("build_name", BUILDS)
def test_every_variable_in_a_manifest_is_a_real_setting(build_name: str) -> None:
    known = setting_variables()
    unknown = [
        f"{where}: {name}"
        for where, name in variables_used(BUILDS[build_name])
        if name not in known and name not in READ_ELSEWHERE
    ]
    assert unknown == []


@pytest.mark.parametrize("name", sorted(READ_ELSEWHERE))
def test_variables_read_outside_the_settings_are_still_read_there(name: str) -> None:
    text = (REPO_ROOT / READ_ELSEWHERE[name]).read_text(encoding="utf-8")
    assert re.search(rf"\b{name}\b", text), f"{READ_ELSEWHERE[name]} no longer reads {name}"


# --- files and kustomizations -------------------------------------------------------


def yaml_files(folder: Path) -> Set[str]:
    return {p.name for p in folder.glob("*.yaml") if p.name != "kustomization.yaml"}


def test_the_base_kustomization_lists_exactly_the_manifests_in_its_folder() -> None:
    resources = kustomization(BASE)["resources"]
    assert len(resources) == len(set(resources))
    assert set(resources) == yaml_files(BASE)
    assert not list(BASE.glob("*.yml")), "use .yaml: a .yml file would be left out"


def test_the_production_overlay_uses_every_file_in_its_folder() -> None:
    spec = kustomization(PRODUCTION)
    local = [r for r in spec["resources"] if not r.startswith("..")]
    patches = [p["path"] for p in spec["patches"]]
    assert sorted(local + patches) == sorted(yaml_files(PRODUCTION))
    assert "../../base" in spec["resources"]


def test_every_overlay_patch_names_a_resource_of_the_base() -> None:
    base_ids = {(d["kind"], d["metadata"]["name"]) for d in BASE_DOCS}
    for entry in kustomization(PRODUCTION)["patches"]:
        for patch in load(PRODUCTION / entry["path"]):
            assert (patch["kind"], patch["metadata"]["name"]) in base_ids, entry["path"]


def test_the_base_leaves_the_namespace_to_the_overlay() -> None:
    assert "namespace" not in kustomization(BASE)
    assert [d["metadata"]["name"] for d in BASE_DOCS if "namespace" in d["metadata"]] == []


# --- the schemas ----------------------------------------------------------------------


class SchemaResolver(jsonschema.RefResolver):
    """kubernetes-validate makes a resolver per call, and jsonschema searches
    the 1 MB definitions file afresh for every reference (0.3 s a Deployment).
    The files never change: what a URL resolves to is kept across calls."""

    resolved: Dict[str, Any] = {}

    def resolve_from_url(self, url: str) -> Any:
        if url not in SchemaResolver.resolved:
            SchemaResolver.resolved[url] = super().resolve_from_url(url)
        return SchemaResolver.resolved[url]


@pytest.mark.parametrize(
    "doc",
    [
        pytest.param(doc, id=f"{name}-{doc['kind']}-{doc['metadata']['name']}")
        for name, docs in BUILDS.items()
        for doc in docs
    ],
)
def test_every_manifest_is_valid_for_kubernetes_1_28(
    doc: Doc, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kubernetes_validate.utils.jsonschema, "RefResolver", SchemaResolver)
    try:
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)
    except kubernetes_validate.ValidationError as exc:
        where = ".".join(str(p) for p in exc.path)
        pytest.fail(f"{doc['kind']}/{doc['metadata']['name']}: {where}: {exc.message}")


# --- secrets ---------------------------------------------------------------------------


@pytest.mark.parametrize("build_name", BUILDS)
def test_no_manifest_defines_a_secret(build_name: str) -> None:
    # The Secret is created in the cluster (docs/deploy.md), never committed.
    assert [d for d in BUILDS[build_name] if d["kind"] == "Secret"] == []


@pytest.mark.parametrize("build_name", BUILDS)
def test_every_secret_reference_names_the_one_secret_by_the_variable_s_name(
    build_name: str,
) -> None:
    references = 0
    for doc in BUILDS[build_name]:
        for container in containers(doc):
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    assert source["secretRef"]["name"] == SECRET
                    references += 1
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] == SECRET, f"{container['name']}: {env['name']}"
                    # Key and variable share a name: docs/deploy.md's command
                    # creates the Secret from the variables' names.
                    assert ref["key"] == env["name"]
                    references += 1
        for spec in pod_specs(doc):
            for volume in spec.get("volumes", []):
                assert "secret" not in volume, f"{doc['metadata']['name']}: {volume['name']}"
    assert references > 20


@pytest.mark.parametrize("build_name", BUILDS)
def test_no_secret_or_password_sits_in_the_configmap(build_name: str) -> None:
    data = config_data(BUILDS[build_name])
    assert sorted(secret_variables() & set(data)) == []
    # Nor a password inside a URL (scheme://user:password@host).
    assert [k for k, v in data.items() if re.search(r"://[^/@\s]+:[^/@\s]*@", v)] == []


@pytest.mark.parametrize("build_name", BUILDS)
def test_every_secret_a_container_reads_is_a_secret_of_its_settings_or_personal_data(
    build_name: str,
) -> None:
    # The Secret also holds the Twilio account's identifiers (they change with
    # its token), URLs with credentials, Redis's optional password (none is a
    # valid setting, so it is no required secret) and the supervisor's phone number.
    allowed = secret_variables() | {
        "REDIS_URL",
        "REDIS_PASSWORD",
        "RABBITMQ_URL",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_WHATSAPP_FROM",
        "TWILIO_VOICE_FROM",
        "EMERGENCY_SUPERVISOR_PHONE",
    }
    for doc in BUILDS[build_name]:
        for container in containers(doc):
            for env in container.get("env", []):
                if "secretKeyRef" in env.get("valueFrom", {}):
                    assert env["name"] in allowed, f"{container['name']}: {env['name']}"


# --- each process can start in production -----------------------------------------


def fit_secret(name: str) -> str:
    """A value production accepts for this Secret key (lapor/settings.py's checks)."""
    if name == "CONTACT_KEY":
        return Fernet.generate_key().decode()
    if name in ("DATABASE_URL", "OUTBOX_DATABASE_URL"):
        return "postgresql://lapor:password@postgres.internal:5432/lapor"
    if name == "REDIS_URL":
        return "redis://:password@redis.internal:6379/0"
    if name == "RABBITMQ_URL":
        return "amqp://lapor:password@rabbitmq.internal:5672/"
    if name == "TWILIO_ACCOUNT_SID":
        return "AC" + "0" * 32
    if name in ("TWILIO_WHATSAPP_FROM", "TWILIO_VOICE_FROM", "EMERGENCY_SUPERVISOR_PHONE"):
        return "+62354000000"
    return f"{name.lower()}-" + "s" * 32


def environment(docs: List[Doc], container: Doc, optional: bool) -> Dict[str, str]:
    """The variables the container starts with, every Secret key filled in;
    optional keys only when `optional` (a Secret that holds them)."""
    env: Dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(find(docs, "ConfigMap", source["configMapRef"]["name"])["data"])
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = str(item["value"])
            continue
        ref = item["valueFrom"].get("secretKeyRef") or item["valueFrom"].get("configMapKeyRef")
        if ref.get("optional") and not optional:
            continue
        if "secretKeyRef" in item["valueFrom"]:
            env[item["name"]] = fit_secret(ref["key"])
        else:
            env[item["name"]] = str(find(docs, "ConfigMap", ref["name"])["data"][ref["key"]])
    return env


@pytest.mark.parametrize("with_twilio", [False, True], ids=["without-twilio", "with-twilio"])
# The base leaves the installation's hosts and public URLs to the overlay.
@pytest.mark.parametrize("docs, doc", every_workload(("production",)))
def test_each_process_starts_in_production_on_the_environment_its_manifest_gives(
    docs: List[Doc], doc: Doc, with_twilio: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in setting_variables() | set(READ_ELSEWHERE):
        monkeypatch.delenv(name, raising=False)
    for container in containers(doc):
        cls = SETTINGS[package(container)]
        for name, value in environment(docs, container, optional=with_twilio).items():
            monkeypatch.setenv(name, value)
        settings = cls.load()
        assert settings.production
        assert [str(p) for p in settings.production_problems()] == []


def test_the_overlay_gives_a_twilio_account_the_urls_its_webhooks_need() -> None:
    # With TWILIO_VOICE_FROM set, production wants TWILIO_WEBHOOK_BASE_URL; the
    # test above only passes with it, this one says why it is there.
    assert config_data(PRODUCTION_DOCS)["TWILIO_WEBHOOK_BASE_URL"].startswith("https://")


def test_rasa_gets_every_variable_its_production_endpoints_file_reads() -> None:
    wanted = set(re.findall(r"\$\{(\w+)\}", (REPO_ROOT / "endpoints.production.yml").read_text()))
    # python -m bot puts these in its own environment before Rasa reads the file.
    source = (REPO_ROOT / "bot" / "__main__.py").read_text(encoding="utf-8")
    set_by_bot = set(re.findall(r'"([A-Z][A-Z0-9_]+)"', source))
    rasa = containers(find(PRODUCTION_DOCS, "Deployment", "rasa"))[0]
    given = set(environment(PRODUCTION_DOCS, rasa, optional=False))
    assert sorted(wanted - given - set_by_bot) == []
    assert {"REDIS_HOST", "REDIS_PORT"} <= wanted  # the guard: the file was read


# --- pods ---------------------------------------------------------------------------------


@pytest.mark.parametrize("docs, doc", every_workload())
def test_every_pod_runs_as_a_non_root_user_without_privileges(docs: List[Doc], doc: Doc) -> None:
    for spec in pod_specs(doc):
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True
        assert pod.get("runAsUser", 1) != 0
        assert pod["seccompProfile"]["type"] == "RuntimeDefault"
        assert spec["automountServiceAccountToken"] is False
    for container in containers(doc):
        context = container["securityContext"]
        assert context.get("runAsNonRoot", True) is True
        assert context.get("runAsUser", 1) != 0
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]
        assert context["readOnlyRootFilesystem"] is True


@cache
def image_environment(image_name: str) -> Dict[str, str]:
    """The ENV of an image's final stage, read from its Containerfile."""
    path = CONTAINERS / f"{image_name.removeprefix('lapor-')}.Containerfile"
    return dict(DockerfileParser(fileobj=io.BytesIO(path.read_bytes())).envs)


@pytest.mark.parametrize("docs, doc", every_workload())
def test_read_only_containers_can_write_where_their_process_writes(
    docs: List[Doc], doc: Doc
) -> None:
    base_doc = find(BASE_DOCS, doc["kind"], doc["metadata"]["name"])
    for container, base_container in zip(containers(doc), containers(base_doc), strict=True):
        mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
        home = image_environment(_image_name(base_container["image"]))["HOME"]
        assert {"/tmp", home} <= mounts, container["name"]
        if package(container) == "bot":
            # python -m bot writes the endpoints file with the model server under var/.
            assert f"{APP_ROOT}/{VAR.relative_to(CODE_ROOT)}" in mounts


@pytest.mark.parametrize("docs, doc", every_workload())
def test_every_container_has_cpu_and_memory_requests_within_limits(
    docs: List[Doc], doc: Doc
) -> None:
    for container in containers(doc):
        resources = container["resources"]
        for kind in ("cpu", "memory"):
            request = quantity(resources["requests"][kind])
            limit = quantity(resources["limits"][kind])
            assert 0 < request <= limit, f"{container['name']}: {kind}"


@pytest.mark.parametrize("docs, doc", each("Deployment"))
def test_every_deployment_has_readiness_and_liveness_probes(docs: List[Doc], doc: Doc) -> None:
    for container in containers(doc):
        assert "readinessProbe" in container, container["name"]
        assert "livenessProbe" in container, container["name"]
        ports = {p["name"] for p in container.get("ports", [])}
        liveness = container["livenessProbe"]
        if ports:
            # A server: alive is "its HTTP port answers".
            assert liveness["httpGet"]["port"] in ports
        else:
            assert "exec" in liveness, f"{container['name']} has no port to ask"


@pytest.mark.parametrize("docs, doc", each("Deployment"))
def test_every_exec_probe_in_python_compiles(docs: List[Doc], doc: Doc) -> None:
    # A typo in a probe only shows in the cluster, as a pod that is never ready.
    for container in containers(doc):
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            command = container.get(probe, {}).get("exec", {}).get("command", [])
            if command[:2] == ["python", "-c"]:
                compile(command[2], f"{container['name']} {probe}", "exec")


def test_rasa_is_ready_only_with_a_model_and_alive_while_it_answers() -> None:
    rasa = containers(find(PRODUCTION_DOCS, "Deployment", "rasa"))[0]
    readiness = " ".join(rasa["readinessProbe"]["exec"]["command"])
    # /status answers 409 until a model is loaded; GET / answers without one.
    assert "/status" in readiness and "RASA_TOKEN" in readiness
    assert rasa["livenessProbe"]["httpGet"]["path"] == "/"
    startup = rasa["startupProbe"]
    # Up to minutes to import TensorFlow and pull the first model.
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 180


def test_the_backend_is_ready_with_its_database_and_alive_without_it() -> None:
    backend = containers(find(PRODUCTION_DOCS, "Deployment", "backend"))[0]
    assert backend["readinessProbe"]["httpGet"]["path"] == "/health"
    # A database outage must not restart every backend at once.
    assert backend["livenessProbe"]["httpGet"]["path"] != "/health"


def test_the_consumer_is_judged_by_its_own_connection_to_rabbitmq() -> None:
    consumer = containers(find(PRODUCTION_DOCS, "Deployment", "consumer"))[0]
    readiness = consumer["readinessProbe"]["exec"]["command"]
    liveness = consumer["livenessProbe"]["exec"]["command"]
    assert readiness == liveness
    assert "RABBITMQ_URL" in readiness[2] and "/proc/net/tcp" in readiness[2]
    # Liveness gives the robust connection minutes to come back by itself.
    probe = consumer["livenessProbe"]
    assert probe["periodSeconds"] * probe["failureThreshold"] >= 300
    assert consumer["command"][-3:] == ["consume", "--source", "pika"]
    assert config_data(PRODUCTION_DOCS)["PIPELINE_SOURCE"] == "pika"


def test_the_rasa_memory_request_covers_the_measured_peak() -> None:
    # docs/performance.md's table: "| Rasa server RSS (peak) | ... | **0.70 GB** ..."
    table = (REPO_ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    row = next(line for line in table.splitlines() if line.startswith("| Rasa server RSS (peak)"))
    peak = float(re.findall(r"\*\*(\d+\.\d+) GB\*\*", row)[-1]) * 1e9
    for docs in BUILDS.values():
        rasa = containers(find(docs, "Deployment", "rasa"))[0]
        assert quantity(rasa["resources"]["requests"]["memory"]) >= peak
        assert quantity(rasa["resources"]["limits"]["memory"]) >= 1.4 * peak


# --- replicas, budgets, autoscalers --------------------------------------------------------


@pytest.mark.parametrize("build_name", BUILDS)
def test_the_four_servers_and_consumers_are_replicated(build_name: str) -> None:
    names = {d["metadata"]["name"] for d in replicated(BUILDS[build_name])}
    assert names == {"backend", "actions", "rasa", "consumer"}


@pytest.mark.parametrize("build_name", BUILDS)
def test_every_replicated_deployment_has_a_disruption_budget_for_its_pods(
    build_name: str,
) -> None:
    docs = BUILDS[build_name]
    budgets = [d for d in docs if d["kind"] == "PodDisruptionBudget"]
    for deployment in replicated(docs):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        covering = [
            b for b in budgets if labels_match(b["spec"]["selector"]["matchLabels"], labels)
        ]
        assert len(covering) == 1, deployment["metadata"]["name"]
        assert covering[0]["spec"]["minAvailable"] == 1
    # No budget selects a pod nobody runs, or the lone trainer (it would block drains).
    for budget in budgets:
        selected = [
            d
            for d in deployments(docs)
            if labels_match(
                budget["spec"]["selector"]["matchLabels"],
                d["spec"]["template"]["metadata"]["labels"],
            )
        ]
        assert [d["spec"]["replicas"] > 1 for d in selected] == [True], budget["metadata"]["name"]


@pytest.mark.parametrize("build_name", BUILDS)
def test_every_replicated_deployment_has_an_autoscaler_whose_floor_is_its_replicas(
    build_name: str,
) -> None:
    docs = BUILDS[build_name]
    scalers = [d for d in docs if d["kind"] == "HorizontalPodAutoscaler"]
    targets = [s["spec"]["scaleTargetRef"] for s in scalers]
    for deployment in replicated(docs):
        name = deployment["metadata"]["name"]
        mine = [s for s in scalers if s["spec"]["scaleTargetRef"]["name"] == name]
        assert len(mine) == 1, name
        spec = mine[0]["spec"]
        assert spec["scaleTargetRef"]["kind"] == "Deployment"
        assert spec["scaleTargetRef"]["apiVersion"] == deployment["apiVersion"]
        # An apply sets spec.replicas: never below the autoscaler's floor.
        assert spec["minReplicas"] == deployment["spec"]["replicas"]
        assert spec["maxReplicas"] > spec["minReplicas"]
        metric = spec["metrics"][0]["resource"]
        assert metric["name"] == "cpu" and 0 < metric["target"]["averageUtilization"] <= 80
    replicated_names = {d["metadata"]["name"] for d in replicated(docs)}
    assert {t["name"] for t in targets} == replicated_names


@pytest.mark.parametrize("build_name", BUILDS)
def test_rolling_updates_never_take_a_pod_away_before_its_successor_is_ready(
    build_name: str,
) -> None:
    for deployment in replicated(BUILDS[build_name]):
        strategy = deployment["spec"]["strategy"]
        assert strategy["type"] == "RollingUpdate"
        assert strategy["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}


@pytest.mark.parametrize("build_name", BUILDS)
def test_the_trainer_runs_alone_on_the_editors_working_copy(build_name: str) -> None:
    docs = BUILDS[build_name]
    trainer = find(docs, "Deployment", "trainer")
    assert trainer["spec"]["replicas"] == 1
    # Recreate: the old worker is gone before the new one starts.
    assert trainer["spec"]["strategy"] == {"type": "Recreate"}
    container = containers(trainer)[0]
    assert container["command"] == ["python", "-m", "bot", "nlu", "train"]
    claim = find(docs, "PersistentVolumeClaim", "nlu-data")
    assert "ReadWriteMany" in claim["spec"]["accessModes"]
    repo = config_data(docs)["NLU_DATA_REPO"]
    for name, writes in (("trainer", False), ("backend", True)):
        deployment = find(docs, "Deployment", name)
        volumes = {
            v["name"]
            for v in pod_specs(deployment)[0]["volumes"]
            if v.get("persistentVolumeClaim", {}).get("claimName") == "nlu-data"
        }
        mounts = [m for m in containers(deployment)[0]["volumeMounts"] if m["name"] in volumes]
        assert len(mounts) == 1, name
        assert repo.startswith(mounts[0]["mountPath"].rstrip("/") + "/"), name
        assert mounts[0].get("readOnly", False) is not writes, name


@pytest.mark.parametrize("build_name", BUILDS)
def test_migrations_run_as_a_job_of_the_backend_image_that_cleans_up(build_name: str) -> None:
    docs = BUILDS[build_name]
    job = find(docs, "Job", "migrate")
    container = containers(job)[0]
    assert container["command"] == ["python", "-m", "backend", "migrate"]
    backend = containers(find(docs, "Deployment", "backend"))[0]
    assert container["image"] == backend["image"]
    spec = job["spec"]
    assert 0 < spec["backoffLimit"] <= 5
    assert spec["ttlSecondsAfterFinished"] > 0
    assert spec["template"]["spec"]["restartPolicy"] in ("Never", "OnFailure")


# --- services and routes ------------------------------------------------------------------


@pytest.mark.parametrize("docs, service", each("Service"))
def test_every_service_reaches_the_port_its_process_listens_on(
    docs: List[Doc], service: Doc
) -> None:
    selected = [
        d
        for d in deployments(docs)
        if labels_match(service["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])
    ]
    assert len(selected) == 1, service["metadata"]["name"]
    container = containers(selected[0])[0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    config = config_data(docs)
    process = package(container)
    listens = int(config[SETTINGS[process].env_name(PORT_FIELD[process])])
    for port in service["spec"]["ports"]:
        assert ports[port["targetPort"]] == listens == port["port"]


def service_port(docs: List[Doc], name: str) -> int:
    return int(find(docs, "Service", name)["spec"]["ports"][0]["port"])


@pytest.mark.parametrize("build_name", BUILDS)
def test_the_processes_find_each_other_through_the_services(build_name: str) -> None:
    docs = BUILDS[build_name]
    config = config_data(docs)
    expected = {
        "BACKEND_URL": ("backend", ""),
        "RASA_URL": ("rasa", ""),
        "ACTION_ENDPOINT_URL": ("actions", "/webhook"),
        # The backend's blueprint: /editor/v1 + /model (backend/editor/worker_api.py).
        "MODEL_SERVER_URL": ("backend", "/editor/v1/model"),
    }
    for variable, (service, path) in expected.items():
        url = urlsplit(config[variable])
        assert (url.scheme, url.hostname, url.path) == ("http", service, path), variable
        assert url.port == service_port(docs, service), variable


def ingress_routes(docs: List[Doc]) -> Dict[str, Tuple[Doc, str, str]]:
    """path -> (the Ingress, the Service, the port name), over every Ingress."""
    routes: Dict[str, Tuple[Doc, str, str]] = {}
    for ingress in (d for d in docs if d["kind"] == "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                assert path["path"] not in routes, f"{path['path']} is routed twice"
                backend = path["backend"]["service"]
                routes[path["path"]] = (ingress, backend["name"], backend["port"]["name"])
    return routes


def rasa_pods(docs: List[Doc], service: str) -> bool:
    selector = find(docs, "Service", service)["spec"]["selector"]
    return labels_match(
        selector, find(docs, "Deployment", "rasa")["spec"]["template"]["metadata"]["labels"]
    )


AFFINITY = "nginx.ingress.kubernetes.io/affinity"


@pytest.mark.parametrize("build_name", BUILDS)
def test_the_ingress_sends_the_site_to_the_backend_and_webhooks_to_rasa(build_name: str) -> None:
    docs = BUILDS[build_name]
    routes = ingress_routes(docs)
    site, backend, _ = routes["/"]
    assert backend == "backend"
    webhooks, service, _ = routes["/webhooks/"]
    assert rasa_pods(docs, service)
    # Twilio's webhooks are not pinned to a pod.
    assert webhooks is site and AFFINITY not in site["metadata"].get("annotations", {})
    for _ingress, name, port in routes.values():
        assert port in {p["name"] for p in find(docs, "Service", name)["spec"]["ports"]}


@pytest.mark.parametrize("build_name", BUILDS)
def test_socketio_has_an_ingress_of_its_own_with_cookie_affinity(build_name: str) -> None:
    docs = BUILDS[build_name]
    ingress, service, _ = ingress_routes(docs)["/socket.io/"]
    annotations = ingress["metadata"]["annotations"]
    assert annotations[AFFINITY] == "cookie"
    # New pods from the autoscaler must not move live sessions.
    assert annotations["nginx.ingress.kubernetes.io/affinity-mode"] == "persistent"
    assert [p["path"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]] == [
        "/socket.io/"
    ]
    assert rasa_pods(docs, service)
    # ingress-nginx keys affinity by upstream: a Service of its own keeps it off the webhooks.
    assert service != ingress_routes(docs)["/webhooks/"][1]


@pytest.mark.parametrize("build_name", BUILDS)
def test_the_ingress_lets_through_the_largest_photo_the_backend_accepts(build_name: str) -> None:
    docs = BUILDS[build_name]
    site = ingress_routes(docs)["/"][0]
    size = site["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
    match = re.fullmatch(r"(\d+)([kmg])", size)
    assert match, size
    allowed = int(match[1]) * {"k": 2**10, "m": 2**20, "g": 2**30}[match[2]]
    photo = int(config_data(docs).get("MAX_PHOTO_BYTES", DEFAULT_MAX_PHOTO_BYTES))
    # backend/app.py: REQUEST_MAX_SIZE = the photo limit + 3 MiB for the form.
    assert allowed >= photo + 3 * MiB


def test_the_public_urls_are_the_production_ingress_host() -> None:
    config = config_data(PRODUCTION_DOCS)
    hosts = set()
    for ingress in (d for d in PRODUCTION_DOCS if d["kind"] == "Ingress"):
        rule_hosts = {r["host"] for r in ingress["spec"]["rules"]}
        tls_hosts = {h for t in ingress["spec"]["tls"] for h in t["hosts"]}
        assert rule_hosts <= tls_hosts
        hosts |= rule_hosts
    assert len(hosts) == 1
    for variable in ("BACKEND_PUBLIC_URL", "RASA_PUBLIC_URL", "TWILIO_WEBHOOK_BASE_URL"):
        url = urlsplit(config[variable])
        assert (url.scheme, url.hostname) == ("https", *hosts), variable
    receipts = urlsplit(config["TWILIO_STATUS_CALLBACK_URL"])
    assert receipts.hostname in hosts and receipts.path.startswith("/webhooks/")
    origins = config["WIDGET_ALLOWED_ORIGINS"].split(",")
    assert config["BACKEND_PUBLIC_URL"] in origins
    assert all(urlsplit(o).scheme == "https" for o in origins)


# --- the production overlay ------------------------------------------------------------------


def test_production_puts_everything_in_its_namespace() -> None:
    namespace = find(PRODUCTION_DOCS, "Namespace", NAMESPACE)
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    outside = [
        f"{d['kind']}/{d['metadata']['name']}"
        for d in PRODUCTION_DOCS
        if d["kind"] not in CLUSTER_SCOPED and d["metadata"].get("namespace") != NAMESPACE
    ]
    assert outside == []


def test_production_runs_every_image_from_its_registry_at_a_pinned_release() -> None:
    base_images = {_image_name(c["image"]) for d in BASE_DOCS for c in containers(d)}
    pinned = {i["name"] for i in kustomization(PRODUCTION)["images"]}
    assert base_images == pinned
    for doc in PRODUCTION_DOCS:
        for container in containers(doc):
            image = container["image"]
            registry = image.partition("/")[0]
            assert "." in registry, f"{image}: not from the city's registry"
            tag = re.search(r":([^:/@]+)$", image)
            digest = re.search(r"@sha256:[0-9a-f]{64}$", image)
            assert digest or (tag and tag[1] != "latest"), image


def test_production_runs_in_production_mode() -> None:
    assert config_data(PRODUCTION_DOCS)["APP_ENV"] == "production"


def test_production_raises_replicas_and_autoscaling_ceilings() -> None:
    for deployment in replicated(BASE_DOCS):
        name = deployment["metadata"]["name"]
        production = find(PRODUCTION_DOCS, "Deployment", name)
        assert production["spec"]["replicas"] >= deployment["spec"]["replicas"], name
        base_max = find(BASE_DOCS, "HorizontalPodAutoscaler", name)["spec"]["maxReplicas"]
        prod_max = find(PRODUCTION_DOCS, "HorizontalPodAutoscaler", name)["spec"]["maxReplicas"]
        assert prod_max > base_max, name


def test_production_patches_change_the_figures_and_keep_the_rest() -> None:
    # The builder's merge by name: a patched container keeps its probes and env.
    rasa = containers(find(PRODUCTION_DOCS, "Deployment", "rasa"))[0]
    base_rasa = containers(find(BASE_DOCS, "Deployment", "rasa"))[0]
    assert rasa["resources"] != base_rasa["resources"]
    assert rasa["env"] == base_rasa["env"] and rasa["readinessProbe"] == base_rasa["readinessProbe"]


def test_the_database_connections_at_the_autoscaling_ceilings_are_stated() -> None:
    # Every backend, action server and consumer pod holds a pool of up to 20
    # connections (lapor/db.py); the overlay's hpa.yaml states the total, which
    # the managed PostgreSQL must allow.
    pool = re.search(
        r"pool_size=(\d+), max_overflow=(\d+)", (CODE_ROOT / "lapor" / "db.py").read_text()
    )
    assert pool
    per_pod = int(pool[1]) + int(pool[2])
    ceilings = {
        name: find(PRODUCTION_DOCS, "HorizontalPodAutoscaler", name)["spec"]["maxReplicas"]
        for name in ("backend", "actions", "consumer")
    }
    total = sum(ceilings.values()) * per_pod
    assert f"= {total}," in (PRODUCTION / "hpa.yaml").read_text(encoding="utf-8")
    assert str(total) in (REPO_ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")


def test_an_upgrade_s_first_step_selects_only_the_configuration_and_the_migrations() -> None:
    # docs/deploy.md applies these two before anything else rolls.
    selector = "app.kubernetes.io/component in (config, migrate)"
    assert selector in (REPO_ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    selected = sorted(
        f"{d['kind']}/{d['metadata']['name']}"
        for d in PRODUCTION_DOCS
        if d["metadata"].get("labels", {}).get("app.kubernetes.io/component")
        in ("config", "migrate")
    )
    assert selected == ["ConfigMap/lapor-config", "Job/migrate"]
