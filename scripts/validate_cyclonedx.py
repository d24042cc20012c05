#!/usr/bin/env python3
"""Validate CycloneDX files with the reference implementation.

Runs cyclonedx-python-lib's JsonStrictValidator (JSON) and XmlValidator
(XSD, via lxml) on every *.cdx.json / *.cdx.xml file in the given
directories, for the spec version each file declares. Exit 1 on any error.

    python scripts/validate_cyclonedx.py target/tmp/sbom-samples
"""
import json
import pathlib
import re
import sys

from cyclonedx.schema import OutputFormat, SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from cyclonedx.validation.xml import XmlValidator

VERSIONS = {"1.5": SchemaVersion.V1_5, "1.6": SchemaVersion.V1_6}


def main(dirs):
    files = sorted(p for d in dirs for p in pathlib.Path(d).glob("*.cdx.*"))
    if not files:
        print("no CycloneDX files found in", dirs, file=sys.stderr)
        return 1
    failed = 0
    for path in files:
        text = path.read_text()
        if path.suffix == ".json":
            version = json.loads(text)["specVersion"]
            validator = JsonStrictValidator(VERSIONS[version])
        else:
            version = re.search(r'xmlns="http://cyclonedx.org/schema/bom/(1\.\d)"', text).group(1)
            validator = XmlValidator(VERSIONS[version])
        error = validator.validate_str(text)
        status = "ok" if error is None else f"INVALID: {error}"
        failed += error is not None
        print(f"{path.name:<40} CycloneDX {version} {'json' if path.suffix == '.json' else 'xml '}  {status}")
    print(f"{len(files) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["target/tmp/sbom-samples"]))
