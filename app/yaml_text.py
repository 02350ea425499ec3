"""YAML text of the files the service writes itself (Kubernetes manifests, the CI workflow), from Python data.

The documents are built as data and serialized by PyYAML, never assembled from strings: a value that came from the
model (a project name) or from a setting cannot break out of its place. Multi-line strings (shell scripts) are
written as literal blocks and `None` as an empty value (`push:`), so that the files read as a person would write them.
"""

from typing import Any

import yaml


# libyaml's emitter: scaffolding runs on the event loop, and PyYAML's own took 22 ms for a project's five documents
# (libyaml's: 3.5 ms, the whole scaffold included).
class _Dumper(yaml.CSafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        # A step shared by two jobs is written out twice: anchors and aliases would only puzzle a reader.
        return True


def _string(dumper: yaml.CSafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


def _none(dumper: yaml.CSafeDumper, _: None) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:null", "")


_Dumper.add_representer(str, _string)
# Long lines stay whole (a folded annotation or condition is harder to read and to grep).
_NO_FOLDING = 1 << 16
_Dumper.add_representer(type(None), _none)


def to_yaml(document: Any) -> str:
    """One YAML document, keys in the order given."""
    text: str = yaml.dump(
        document, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=_NO_FOLDING
    )
    return text
