"""Artifacts through the local directory store: an output artifact saved as Argo's wait container saves it
(a .tgz unless ``archive: none``), passed with ``from``, unpacked like the init container (reference §17)."""

from __future__ import annotations

from pathlib import Path

from tests.local.run.conftest import node

WF = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: arts}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: make, template: make}
      - name: use
        template: use
        dependencies: [make]
        arguments: {artifacts: [{name: data, from: "{{tasks.make.outputs.artifacts.data}}"}]}
      - name: raw
        template: use
        arguments: {artifacts: [{name: data, raw: {data: "inline text"}}]}
  - name: make
    container: {image: alpine, command: [sh, -c, "mkdir d && echo hello > d/f.txt"]}
    outputs: {artifacts: [{name: data, path: d}]}
  - name: use
    inputs: {artifacts: [{name: data, path: in}]}
    script: {image: alpine, command: [sh], source: "cat in/f.txt 2>/dev/null || cat in"}
"""


def test_output_artifact_travels_with_from(run, tmp_path: Path) -> None:
    store = tmp_path / "store"
    r = run(WF, store=store)
    assert r.phase == "Succeeded", [(n.display_name, n.message) for n in r.nodes]
    assert node(r, "use").outputs["result"] == "hello"
    assert node(r, "raw").outputs["result"] == "inline text"
    assert list(store.rglob("data.tgz"))  # the key Argo's default repository would use: <wf>/<pod>/data.tgz


NESTED = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: nested}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: make, template: make}
      - name: pass-on
        template: inner
        dependencies: [make]
        arguments: {artifacts: [{name: data, from: "{{tasks.make.outputs.artifacts.data}}"}]}
  - name: inner
    inputs: {artifacts: [{name: data}]}
    dag:
      tasks:
      - name: use
        template: use
        arguments: {artifacts: [{name: data, from: "{{inputs.artifacts.data}}"}]}
  - name: make
    container: {image: alpine, command: [sh, -c, "mkdir d && echo hello > d/f.txt"]}
    outputs: {artifacts: [{name: data, path: d}]}
  - name: use
    inputs: {artifacts: [{name: data, path: in}]}
    script: {image: alpine, command: [sh], source: "cat in/f.txt"}
"""


def test_a_dag_passes_its_own_input_artifact_on(run, tmp_path: Path) -> None:
    """``from: "{{inputs.artifacts.x}}"`` in a DAG's task: the DAG's input artifact, as Argo resolves it
    (argo@v3.7.18 workflow/controller/scope.go createScope puts every input artifact in the scope as
    ``inputs.artifacts.<name>``; athena's if/else
    arms that take an Artifact[T] are emitted this way)."""
    r = run(NESTED, store=tmp_path / "store")
    assert r.phase == "Succeeded", [(n.display_name, n.message) for n in r.nodes]
    assert node(r, "use").outputs["result"] == "hello"
