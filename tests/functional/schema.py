"""Checks a QMP value against a query-qmp-schema answer (SchemaInfo list)."""


class SchemaMismatch(AssertionError):
    pass


_JSON_TYPES = {
    "string": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "value": lambda v: True,
}


class Schema:
    def __init__(self, entries):
        self.entries = {e["name"]: e for e in entries}

    def commands(self):
        return {n for n, e in self.entries.items() if e["meta-type"] == "command"}

    def events(self):
        return {n for n, e in self.entries.items() if e["meta-type"] == "event"}

    def dangling_references(self):
        """Type names that entries refer to but that are not defined."""
        missing = set()

        def ref(name):
            if name not in self.entries:
                missing.add(name)

        for e in self.entries.values():
            mt = e["meta-type"]
            if mt == "command":
                ref(e["arg-type"])
                ref(e["ret-type"])
            elif mt == "event":
                ref(e["arg-type"])
            elif mt == "array":
                ref(e["element-type"])
            elif mt == "object":
                for m in e["members"]:
                    ref(m["type"])
                for v in e.get("variants", []):
                    ref(v["type"])
            elif mt == "alternate":
                for m in e["members"]:
                    ref(m["type"])
        return missing

    def check(self, typ, value, where="value"):
        """Raises SchemaMismatch unless 'value' is a valid 'typ'."""
        e = self.entries.get(typ)
        if e is None:
            raise SchemaMismatch("%s: unknown type %r" % (where, typ))
        mt = e["meta-type"]
        if mt == "builtin":
            if not _JSON_TYPES[e["json-type"]](value):
                raise SchemaMismatch("%s: %r is not %s" % (where, value, typ))
        elif mt == "enum":
            if value not in e["values"]:
                raise SchemaMismatch("%s: %r not in enum %s" % (where, value, e["values"]))
        elif mt == "array":
            if not isinstance(value, list):
                raise SchemaMismatch("%s: %r is not a list" % (where, value))
            for i, v in enumerate(value):
                self.check(e["element-type"], v, "%s[%d]" % (where, i))
        elif mt == "object":
            self._check_object(e, value, where)
        elif mt == "alternate":
            for m in e["members"]:
                try:
                    self.check(m["type"], value, where)
                    return
                except SchemaMismatch:
                    continue
            raise SchemaMismatch("%s: %r matches no branch of %s" % (where, value, typ))
        else:
            raise SchemaMismatch("%s: cannot check meta-type %s" % (where, mt))

    def _check_object(self, e, value, where, seen=None):
        if not isinstance(value, dict):
            raise SchemaMismatch("%s: %r is not an object" % (where, value))
        members = {m["name"]: m for m in e["members"]}
        allowed = set(members)
        for name, m in members.items():
            if name in value:
                self.check(m["type"], value[name], "%s.%s" % (where, name))
            elif "default" not in m:
                raise SchemaMismatch("%s: lacks required member %r" % (where, name))
        if "tag" in e:
            tag = value.get(e["tag"])
            for v in e.get("variants", []):
                if v["case"] == tag:
                    branch = self.entries[v["type"]]
                    allowed |= {m["name"] for m in branch["members"]}
                    sub = {k: value[k] for k in value
                           if k in {m["name"] for m in branch["members"]}}
                    self._check_object(branch, sub, where)
        extra = set(value) - allowed
        if extra:
            raise SchemaMismatch("%s: unexpected members %s" % (where, sorted(extra)))
