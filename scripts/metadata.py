"""Cut Microsoft's published CSDL down to what graphpost serves, for `GET /{version}/$metadata`.

    .venv/bin/python scripts/metadata.py SOURCE.csdl OUT.xml --source "owner/repo@commit:path"

SOURCE is one of the CSDL documents Microsoft publishes in github.com/microsoftgraph/msgraph-metadata
(schemas/v1.0-Prod.csdl, …). What is kept, from the `microsoft.graph` schema:
- the entity types graphpost serves (ENTITY_TYPES) with their base types, each with all its
  structural properties and only those navigation properties whose target is kept;
- every complex and enum type those properties reference, transitively, with the complex types'
  own base types (not the types derived from them: what graphpost answers is of the base type);
- the bound actions and functions graphpost serves (OPERATIONS), when their binding type is kept;
- the entity container with the entity sets and singletons graphpost serves (CONTAINER), their
  navigation property bindings cut to kept sets.
Annotations and descriptions are left out: they are most of the source's size and nothing in an
@odata.context reaches them. The output names its source (repository, commit, file) in a comment.

Run it again when Microsoft's CSDL changes (README: "Health, metrics, metadata and logs"); the result is
committed in graphpost/api/csdl/ and served as it is."""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

EDMX = "http://docs.oasis-open.org/odata/ns/edmx"
EDM = "http://docs.oasis-open.org/odata/ns/edm"
NAMESPACE = "microsoft.graph"

# What graphpost's routes answer (graphpost/api/routes/): these entity types and what they reference.
ENTITY_TYPES = ("user", "message", "mailFolder", "attachment", "fileAttachment", "itemAttachment",
                "referenceAttachment", "subscription")
# Bound actions and functions, by name and binding type (Collection(x) for a collection).
OPERATIONS = {
    "sendMail": ("user",),
    **{name: ("message",) for name in ("send", "createReply", "createReplyAll", "createForward", "reply", "replyAll",
                                       "forward")},
    "move": ("message", "mailFolder"), "copy": ("message", "mailFolder"),
    "delta": ("Collection(message)", "Collection(mailFolder)"),
    "createUploadSession": ("Collection(attachment)",),
    "reauthorize": ("subscription",),
}
CONTAINER = ("users", "me", "subscriptions")


def _q(tag: str) -> str:
    return f"{{{EDM}}}{tag}"


def _short(type_name: str) -> str | None:
    """`graph.recipient`, `microsoft.graph.recipient` or `Collection(graph.recipient)` → `recipient`;
    None for a type of another namespace (Edm.String, …)."""
    inner = type_name.removeprefix("Collection(").removesuffix(")")
    for prefix in ("graph.", NAMESPACE + "."):
        if inner.startswith(prefix) and "." not in inner[len(prefix):]:
            return inner[len(prefix):]
    return None


def _binding(operation: ET.Element) -> str | None:
    """The type an operation is bound to, as OPERATIONS writes it: `message`, `Collection(message)`."""
    first = operation.find(_q("Parameter"))
    if operation.get("IsBound") != "true" or first is None:
        return None
    written = first.get("Type", "")
    name = _short(written)
    return f"Collection({name})" if name and written.startswith("Collection(") else name


def trim(source: ET.Element, origin: str) -> ET.ElementTree:
    schema = next(s for s in source.iter(_q("Schema")) if s.get("Namespace") == NAMESPACE)
    by_name = {(child.tag, child.get("Name")): child for child in schema
               if child.tag in (_q("EntityType"), _q("ComplexType"), _q("EnumType"))}
    entities: set[str] = set()
    for name in ENTITY_TYPES:
        while name and name not in entities:
            entities.add(name)
            element = by_name[(_q("EntityType"), name)]
            name = _short(element.get("BaseType", "")) or ""
    structured: set[str] = set()   # complex and enum types, found from the properties kept
    pending = [prop.get("Type", "") for name in entities for prop in by_name[(_q("EntityType"), name)]
               if prop.tag == _q("Property")]
    operations = [op for op in schema if op.tag in (_q("Action"), _q("Function"))
                  and _binding(op) in OPERATIONS.get(op.get("Name", ""), ())]
    for op in operations:
        pending += [p.get("Type", "") for p in op if p.tag in (_q("Parameter"), _q("ReturnType"))]
    while pending:
        found = _short(pending.pop())
        if found is None or found in structured or found in entities:
            continue
        referenced = by_name.get((_q("ComplexType"), found)) or by_name.get((_q("EnumType"), found))
        if referenced is None:
            continue  # an entity type not served (an operation's return): left out with its operation below
        structured.add(found)
        pending += [prop.get("Type", "") for prop in referenced
                    if prop.tag in (_q("Property"), _q("NavigationProperty"))]
        if referenced.get("BaseType"):
            pending.append(referenced.get("BaseType", ""))
    kept = entities | structured

    def known(type_name: str) -> bool:
        return _short(type_name) in kept or _short(type_name) is None

    out_schema = ET.Element(_q("Schema"), {"Namespace": NAMESPACE, "Alias": "graph"})
    for element in schema:
        if element.tag in (_q("EntityType"), _q("ComplexType"), _q("EnumType")) and element.get("Name") in kept:
            copy = ET.SubElement(out_schema, element.tag, dict(element.attrib))
            for child in element:
                if child.tag == _q("NavigationProperty") and not known(child.get("Type", "")):
                    continue
                if child.tag == _q("Annotation"):
                    continue
                copy.append(_without_annotations(child))
    for op in operations:
        if all(known(p.get("Type", "")) for p in op if p.tag in (_q("Parameter"), _q("ReturnType"))):
            out_schema.append(_without_annotations(op))
    container = schema.find(_q("EntityContainer"))
    if container is not None:
        out_container = ET.SubElement(out_schema, _q("EntityContainer"), dict(container.attrib))
        for member in container:
            if member.get("Name") in CONTAINER:
                copy = ET.SubElement(out_container, member.tag, dict(member.attrib))
                for binding in member:
                    if binding.tag == _q("NavigationPropertyBinding") and binding.get("Target") in CONTAINER:
                        copy.append(binding)
    root = ET.Element(f"{{{EDMX}}}Edmx", {"Version": "4.0"})
    ET.SubElement(root, f"{{{EDMX}}}DataServices").append(out_schema)
    root.insert(0, ET.Comment(f" Generated by graphpost's scripts/metadata.py from {origin}: the types graphpost "
                              "serves, cut from Microsoft's published CSDL. Do not edit; run the script again. "))
    ET.indent(root, "  ")
    return ET.ElementTree(root)


def _without_annotations(element: ET.Element) -> ET.Element:
    copy = ET.Element(element.tag, dict(element.attrib))
    for child in element:
        if child.tag != _q("Annotation"):
            copy.append(_without_annotations(child))
    return copy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a CSDL document published by Microsoft")
    parser.add_argument("out", type=Path, help="where the trimmed CSDL goes")
    parser.add_argument("--origin", required=True, help="where SOURCE came from: owner/repo@commit:path")
    args = parser.parse_args(argv)
    ET.register_namespace("edmx", EDMX)
    ET.register_namespace("", EDM)
    tree = trim(ET.parse(args.source).getroot(), args.origin)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tree.write(args.out, encoding="utf-8", xml_declaration=True)
    print(f"{args.out}: {args.out.stat().st_size} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
