"""Source locations and the error type every stage of the compiler raises."""


class SourceInfo:
    """A position in a schema file, plus the include chain that led there."""

    def __init__(self, fname, line, parent=None):
        self.fname = fname
        self.line = line
        self.parent = parent  # SourceInfo of the 'include' directive

    def at_line(self, line):
        return SourceInfo(self.fname, line, self.parent)

    def __str__(self):
        return '%s:%d' % (self.fname, self.line)


class QAPIError(Exception):
    """A problem in the schema; str() gives 'file:line: message'."""

    def __init__(self, info, msg):
        super().__init__(msg)
        self.info = info
        self.msg = msg

    def __str__(self):
        if self.info is None:
            return self.msg
        return '%s: %s' % (self.info, self.msg)
