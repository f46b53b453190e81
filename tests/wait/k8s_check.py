#!/usr/bin/env python3
"""k8s_check.py EXAMPLE_DIR OUT_DIR — the structure of examples/kubernetes.

No kubectl and no cluster here: this is not the API server's validation
(no OpenAPI schema), only what the example promises, checked honestly:
  - every *.yaml parses (PyYAML), every document is a mapping with
    apiVersion, kind and a DNS-1123 metadata.name, of a known kind with its
    apiVersion (Secret, ConfigMap v1; Job batch/v1; Deployment apps/v1);
  - a Deployment's selector matches its pod template's labels; a Job's
    restartPolicy is Never or OnFailure;
  - in each pod: container names unique DNS labels with an image; volumes
    unique, a configMap volume names a ConfigMap of the example; each mount
    names a volume of the pod; each env item has a value or a valueFrom, a
    secretKeyRef names a Secret of the example and one of its keys;
  - no password inline: no env value is a URL with a password, and the
    Secret's URLs carry a placeholder, never something that looks real;
  - every dbmig container reads DATABASE_URL from the Secret and its --dir
    is the mountPath of a ConfigMap volume; a Deployment has an init
    container running `dbmig ... wait --timeout ...`; some Job runs upgrade.
Writes to OUT_DIR: each ConfigMap's files laid out as Kubernetes mounts a
ConfigMap volume (OUT_DIR/cm/NAME/..<timestamp>/FILE, the link ..data to it,
and a link FILE -> ..data/FILE per key), and commands.tsv: one dbmig
command line per line, "FILE<TAB>CONTAINER<TAB>CONFIGMAP<TAB>" then its argv
as a JSON array. Also readme.txt: each line of README.md's code blocks that
starts with "dbmig ", as a JSON argv (shlex). Exit 1 listing every problem.
"""
import json
import os
import re
import shlex
import sys

try:
    import yaml
except ImportError:
    print("FAIL: PyYAML is missing: install python3-yaml (scripts/deps.sh)")
    sys.exit(1)

DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
URL_PASSWORD = re.compile(r"://[^/\s:@]+:([^/\s@]+)@")
KINDS = {"Secret": "v1", "ConfigMap": "v1", "Job": "batch/v1", "Deployment": "apps/v1"}
PLACEHOLDER = "REPLACE-ME"

problems = []


def bad(where, what):
    problems.append(f"{where}: {what}")


def load(example):
    docs = []
    for name in sorted(os.listdir(example)):
        if not name.endswith(".yaml"):
            continue
        with open(os.path.join(example, name), encoding="utf-8") as f:
            try:
                found = [d for d in yaml.safe_load_all(f) if d is not None]
            except yaml.YAMLError as e:
                bad(name, f"does not parse: {e}")
                continue
        if not found:
            bad(name, "holds no document")
        for i, d in enumerate(found):
            docs.append((f"{name}#{i + 1}", d))
    return docs


def check_header(where, d):
    if not isinstance(d, dict):
        bad(where, "is not a mapping")
        return False
    kind, api = d.get("kind"), d.get("apiVersion")
    name = (d.get("metadata") or {}).get("name")
    if kind not in KINDS:
        bad(where, f"unknown kind {kind!r} (expected one of {sorted(KINDS)})")
        return False
    if api != KINDS[kind]:
        bad(where, f"{kind} needs apiVersion {KINDS[kind]}, has {api!r}")
    if not isinstance(name, str) or not DNS1123.match(name):
        bad(where, f"metadata.name {name!r} is not a DNS-1123 name")
        return False
    return True


def check_env(where, c, secrets):
    """The container's env; returns where DATABASE_URL comes from."""
    source = None
    for e in c.get("env") or []:
        n = e.get("name")
        has_value, has_from = "value" in e, "valueFrom" in e
        if not n or has_value == has_from:
            bad(where, f"env item {e!r}: needs a name and exactly one of value, valueFrom")
            continue
        if has_value and URL_PASSWORD.search(str(e["value"])):
            bad(where, f"env {n} holds a URL with a password inline; use a secretKeyRef")
        ref = (e.get("valueFrom") or {}).get("secretKeyRef")
        if ref:
            keys = secrets.get(ref.get("name"))
            if keys is None:
                bad(where, f"env {n}: no Secret named {ref.get('name')!r} in the example")
            elif ref.get("key") not in keys:
                bad(where, f"env {n}: Secret {ref.get('name')} has no key {ref.get('key')!r}")
        if n == "DATABASE_URL":
            source = "secret" if ref else "inline"
    return source


def check_dbmig(where, c, mounts, source, commands):
    argv = list(c.get("command") or []) + list(c.get("args") or [])
    if not argv or os.path.basename(str(argv[0])) != "dbmig":
        return
    if source != "secret":
        bad(where, "a dbmig container must get DATABASE_URL from the Secret (secretKeyRef)")
    if "--dir" not in argv[:-1]:
        bad(where, "dbmig without --dir: name the mounted migrations folder")
        return
    folder = argv[argv.index("--dir") + 1]
    if folder not in mounts:
        bad(where, f"--dir {folder} is not the mountPath of a ConfigMap volume of the pod")
        return
    commands.append((where, c.get("name"), mounts[folder], argv))


def check_pod(where, spec, secrets, configmaps, commands):
    volumes = {}
    for v in spec.get("volumes") or []:
        if v.get("name") in volumes:
            bad(where, f"volume {v.get('name')!r} twice")
        volumes[v.get("name")] = v
        cm = (v.get("configMap") or {}).get("name")
        if "configMap" in v and cm not in configmaps:
            bad(where, f"volume {v.get('name')}: no ConfigMap named {cm!r} in the example")
    names = set()
    containers = [("init", c) for c in spec.get("initContainers") or []]
    containers += [("main", c) for c in spec.get("containers") or []]
    if not any(k == "main" for k, _ in containers):
        bad(where, "a pod needs at least one container")
    for kind, c in containers:
        cw = f"{where} container {c.get('name')!r}"
        if not isinstance(c.get("name"), str) or not DNS1123.match(c["name"]) or c["name"] in names:
            bad(cw, "needs a unique DNS-1123 name")
        names.add(c.get("name"))
        if not c.get("image"):
            bad(cw, "has no image")
        mounts = {}
        for m in c.get("volumeMounts") or []:
            v = volumes.get(m.get("name"))
            if v is None:
                bad(cw, f"mounts {m.get('name')!r}, which is no volume of the pod")
            elif "configMap" in v:
                mounts[m.get("mountPath")] = v["configMap"]["name"]
        source = check_env(cw, c, secrets)
        check_dbmig(cw if kind == "main" else cw + " (init)", c, mounts, source, commands)


def check_workload(where, d, secrets, configmaps, commands):
    spec = d.get("spec") or {}
    tpl = spec.get("template") or {}
    pod = tpl.get("spec") or {}
    if d["kind"] == "Deployment":
        sel = (spec.get("selector") or {}).get("matchLabels") or {}
        labels = (tpl.get("metadata") or {}).get("labels") or {}
        if not sel or any(labels.get(k) != v for k, v in sel.items()):
            bad(where, f"selector {sel} does not match the pod template's labels {labels}")
        if pod.get("restartPolicy", "Always") != "Always":
            bad(where, "a Deployment's pods restart Always")
    else:
        if pod.get("restartPolicy") not in ("Never", "OnFailure"):
            bad(where, "a Job's restartPolicy must be Never or OnFailure")
    check_pod(where, pod, secrets, configmaps, commands)


def check_secret(where, d):
    data = dict(d.get("stringData") or {})
    for k in d.get("data") or {}:
        data[k] = ""
    for k, v in data.items():
        m = URL_PASSWORD.search(str(v))
        if m and m.group(1) != PLACEHOLDER:
            bad(where, f"key {k}: a password is written in the file; use the placeholder "
                       f"{PLACEHOLDER} and create the real Secret with kubectl")
    return set(data)


def mount_layout(out, name, data):
    """OUT/cm/NAME as the kubelet mounts a ConfigMap: a timestamped folder,
    the link ..data to it, and a link per key into ..data."""
    top = os.path.join(out, "cm", name)
    stamp = "..2026_12_07_00_00_00.000000001"
    os.makedirs(os.path.join(top, stamp))
    for k, v in data.items():
        with open(os.path.join(top, stamp, k), "w", encoding="utf-8") as f:
            f.write(v)
    os.symlink(stamp, os.path.join(top, "..data"))
    for k in data:
        os.symlink(os.path.join("..data", k), os.path.join(top, k))


def readme_commands(example, out):
    lines, inside = [], False
    with open(os.path.join(example, "README.md"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("```"):
                inside = not inside and line.strip() in ("```sh", "```bash", "```console")
                continue
            if inside and line.startswith("dbmig "):
                lines.append(json.dumps(shlex.split(line, comments=True)))
    with open(os.path.join(out, "readme.txt"), "w", encoding="utf-8") as f:
        f.write("".join(s + "\n" for s in lines))
    if not lines:
        bad("README.md", "no dbmig command line in its sh code blocks")


def main():
    example, out = sys.argv[1], sys.argv[2]
    docs = [(w, d) for w, d in load(example) if check_header(w, d)]
    secrets = {d["metadata"]["name"]: check_secret(w, d) for w, d in docs if d["kind"] == "Secret"}
    configmaps = {d["metadata"]["name"]: d.get("data") or {} for w, d in docs
                  if d["kind"] == "ConfigMap"}
    commands = []
    for w, d in docs:
        if d["kind"] in ("Job", "Deployment"):
            check_workload(w, d, secrets, configmaps, commands)
    for kind in KINDS:
        if not any(d["kind"] == kind for _, d in docs):
            bad("the example", f"has no {kind}")
    waits = [a for w, c, cm, a in commands if "(init)" in w and "wait" in a and "--timeout" in a]
    if not waits:
        bad("the example", "no init container runs `dbmig ... wait --timeout ...`")
    if not any("upgrade" in a and w.startswith("job") for w, c, cm, a in commands):
        bad("the example", "no Job runs `dbmig ... upgrade`")
    for name, data in configmaps.items():
        mount_layout(out, name, data)
    with open(os.path.join(out, "commands.tsv"), "w", encoding="utf-8") as f:
        for w, c, cm, a in commands:
            f.write(f"{w}\t{c}\t{cm}\t{json.dumps(a)}\n")
    readme_commands(example, out)
    for p in problems:
        print("FAIL:", p)
    print(f"{len(docs)} documents, {len(commands)} dbmig command lines, "
          f"{len(configmaps)} ConfigMap(s), {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
