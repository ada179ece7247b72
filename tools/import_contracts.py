"""An import-linter contract: other apps import only an app's public face (STYLE.md section 1).

A ``layers`` contract says which apps may import which; it cannot say *what* of an app
another may use. This contract does, and it is exhaustive by construction: every module
of the app that is not named public is private, including modules added later.

    [[tool.importlinter.contracts]]
    name = "billing: other apps use only its public face"
    type = "public_face"
    app = "cloudmentor.billing"
    public = ["models", "services", "selectors", "exceptions", "signals"]
    public_to_tests = ["tests.factories"]
    allowed_importers = ["cloudmentor.urls"]

`public` names the app's submodules (and packages: their descendants too) any other
module may import; `public_to_tests` the ones only other apps' tests may import;
`allowed_importers` the modules outside every app that wire apps together (root URLconf).
"""

from __future__ import annotations

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output


class PublicFaceContract(Contract):
    type_name = "public_face"

    app = fields.StringField()
    public = fields.ListField(subfield=fields.StringField())
    public_to_tests = fields.ListField(subfield=fields.StringField(), required=False)
    allowed_importers = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        app = str(self.app)
        public = [f"{app}.{name}" for name in self.public]
        for_tests = [f"{app}.{name}" for name in (self.public_to_tests or [])]
        allowed = set(self.allowed_importers or [])
        violations = []
        for imported in sorted(graph.find_descendants(app)):
            if _within(imported, public):
                continue
            for importer in sorted(graph.find_modules_that_directly_import(imported)):
                if _within(importer, [app]) or importer in allowed:
                    continue
                if ".tests" in importer and _within(imported, for_tests):
                    continue
                details = graph.get_import_details(importer=importer, imported=imported)
                lines = ", ".join(str(detail["line_number"]) for detail in details)
                violations.append(f"{importer} -> {imported} (l. {lines})")
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for violation in check.metadata["violations"]:
            output.print_error(f"- {violation}")
        output.new_line()
        output.print(
            f"Import what {self.app} offers through {', '.join(self.public)}"
            " (or name the module public in pyproject.toml and STYLE.md)."
        )


def _within(module: str, packages: list[str]) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)
