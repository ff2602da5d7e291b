"""Reads QAPI schema files into a list of top-level expressions.

The syntax is JSON with a few twists: strings use single quotes, '#'
starts a comment, and a block of comment lines opened and closed by a
'##' line is a documentation comment attached to the definition that
follows it.  { 'include': 'file.json' } pulls in another file (each file
only once); { 'pragma': {...} } sets schema-wide options.
"""

import os
import re

from .source import QAPIError, SourceInfo

PRAGMA_LISTS = ('command-name-exceptions', 'command-returns-exceptions',
                'member-name-exceptions', 'documentation-exceptions')


class Pragmas:
    def __init__(self):
        self.doc_required = False
        self.lists = {name: set() for name in PRAGMA_LISTS}

    def allows(self, which, name):
        return name in self.lists[which]


class Doc:
    """A documentation comment: for one definition (symbol set) or free-form."""

    SECTION_RE = re.compile(
        r'(Returns|Since|Errors|Example|Examples|Note|Notes|TODO|See also):\s*(.*)$')
    ITEM_RE = re.compile(r'@([^:\s]+):\s*(.*)$')

    def __init__(self, info, lines):
        self.info = info
        self.symbol = None
        self.body = []
        self.args = {}       # member name -> description lines
        self.features = {}   # feature name -> description lines
        self.sections = []   # (title, lines)
        self._parse(lines)

    def _parse(self, lines):
        if lines:
            m = re.match(r'@([^:\s]+):\s*$', lines[0])
            if m:
                self.symbol = m.group(1)
                lines = lines[1:]
            elif lines[0].startswith('@'):
                raise QAPIError(self.info,
                                "documentation symbol line must be '@NAME:'")
        target = self.body
        in_features = False
        for line in lines:
            if self.symbol is None:
                self.body.append(line)
                continue
            if re.match(r'Features:\s*$', line):
                in_features = True
                target = self.body
                continue
            m = self.ITEM_RE.match(line)
            if m:
                table = self.features if in_features else self.args
                what = 'feature' if in_features else 'member'
                if m.group(1) in table:
                    raise QAPIError(self.info, "duplicated description of %s '%s'"
                                    % (what, m.group(1)))
                target = table[m.group(1)] = [m.group(2)]
                continue
            m = self.SECTION_RE.match(line)
            if m:
                in_features = False
                target = [m.group(2)]
                self.sections.append((m.group(1), target))
                continue
            target.append(line)


class Expression:
    def __init__(self, expr, info, doc):
        self.expr = expr
        self.info = info
        self.doc = doc


class _Lexer:
    """Turns one file's text into tokens; tracks the current line."""

    def __init__(self, text, info):
        self.text = text
        self.pos = 0
        self.line = 1
        self.base = info

    def info(self, line=None):
        return self.base.at_line(self.line if line is None else line)

    def error(self, msg, line=None):
        raise QAPIError(self.info(line), msg)

    def _at_line_start(self, pos):
        start = self.text.rfind('\n', 0, pos) + 1
        return self.text[start:pos].strip() == ''

    def _rest_of_line(self):
        end = self.text.find('\n', self.pos)
        if end < 0:
            end = len(self.text)
        s = self.text[self.pos:end]
        self.pos = end
        return s

    def _doc_block(self):
        """Reads a '##' ... '##' block; self.pos is just past the opening '##'."""
        start_line = self.line
        if self._rest_of_line().strip():
            self.error("text after '##' that opens a documentation comment")
        lines = []
        while True:
            if self.pos >= len(self.text):
                self.error("documentation comment must end with '##'", start_line)
            self.pos += 1  # the newline
            self.line += 1
            raw = self._rest_of_line()
            s = raw.lstrip()
            if not s.startswith('#'):
                self.error("documentation comment must end with '##'")
            if s.rstrip() == '##':
                return Doc(self.info(start_line), lines)
            if s.startswith('##'):
                self.error("documentation comment line must not start with '##'")
            body = s[1:]
            if body and not body.startswith(' '):
                self.error("documentation line must start with '# '")
            lines.append(body[1:].rstrip())

    def next(self):
        """Returns (kind, value, line); kind is a punctuator, 'str', 'bool',
        'doc' or 'eof'."""
        while True:
            if self.pos >= len(self.text):
                return ('eof', None, self.line)
            ch = self.text[self.pos]
            if ch == '\n':
                self.line += 1
                self.pos += 1
            elif ch in ' \t\r':
                self.pos += 1
            elif ch == '#':
                if (self.text.startswith('##', self.pos)
                        and self._at_line_start(self.pos)):
                    self.pos += 2
                    line = self.line
                    return ('doc', self._doc_block(), line)
                self._rest_of_line()
            elif ch in '{}[],:':
                self.pos += 1
                return (ch, None, self.line)
            elif ch == "'":
                return ('str', self._string(), self.line)
            elif ch.isalpha():
                m = re.compile(r'[A-Za-z_]+').match(self.text, self.pos)
                word = m.group(0)
                if word not in ('true', 'false'):
                    self.error("unexpected word '%s'" % word)
                self.pos = m.end()
                return ('bool', word == 'true', self.line)
            else:
                self.error("stray '%s'" % ch)

    def _string(self):
        self.pos += 1
        out = []
        while True:
            if self.pos >= len(self.text) or self.text[self.pos] == '\n':
                self.error("missing terminating \"'\"")
            ch = self.text[self.pos]
            self.pos += 1
            if ch == "'":
                return ''.join(out)
            if ch == '\\':
                self.error('backslash escapes are not supported in strings')
            if not 32 <= ord(ch) < 127:
                self.error('non-printable or non-ASCII character in string')
            out.append(ch)


class _FileParser:
    def __init__(self, lexer):
        self.lex = lexer
        self.tok = None
        self.val = None
        self.tok_line = 0
        self.docs = []
        self.advance(allow_doc=True)

    def advance(self, allow_doc=False):
        while True:
            self.tok, self.val, self.tok_line = self.lex.next()
            if self.tok != 'doc':
                return
            if not allow_doc:
                self.lex.error('documentation comment must be outside definitions',
                               self.tok_line)
            self.docs.append(self.val)

    def error(self, msg):
        self.lex.error(msg, self.tok_line)

    def describe(self):
        if self.tok == 'eof':
            return 'end of file'
        if self.tok == 'str':
            return "string '%s'" % self.val
        if self.tok == 'bool':
            return 'true' if self.val else 'false'
        return "'%s'" % self.tok

    def value(self):
        if self.tok == '{':
            return self.obj()
        if self.tok == '[':
            return self.array()
        if self.tok in ('str', 'bool'):
            v = self.val
            self.advance()
            return v
        self.error('expected a value, got %s' % self.describe())

    def obj(self, top=False):
        out = {}
        self.advance()
        if self.tok == '}':
            self.advance(allow_doc=top)
            return out
        while True:
            if self.tok != 'str':
                self.error('expected a string key, got %s' % self.describe())
            key = self.val
            if key in out:
                self.error("duplicate key '%s'" % key)
            self.advance()
            if self.tok != ':':
                self.error("expected ':' after key '%s'" % key)
            self.advance()
            out[key] = self.value()
            if self.tok == '}':
                self.advance(allow_doc=top)
                return out
            if self.tok != ',':
                self.error("expected ',' or '}', got %s" % self.describe())
            self.advance()

    def array(self):
        out = []
        self.advance()
        if self.tok == ']':
            self.advance()
            return out
        while True:
            out.append(self.value())
            if self.tok == ']':
                self.advance()
                return out
            if self.tok != ',':
                self.error("expected ',' or ']', got %s" % self.describe())
            self.advance()


class SchemaParser:
    """Parses the top file and everything it includes, in include order."""

    def __init__(self, fname):
        self.exprs = []
        self.pragmas = Pragmas()
        self.files = []
        self._seen = set()
        self._parse_file(fname, None)

    def _parse_file(self, fname, incl_info):
        path = os.path.realpath(fname)
        chain = incl_info
        while chain is not None:
            if chain.fname and os.path.realpath(chain.fname) == path:
                raise QAPIError(incl_info, "inclusion loop for '%s'" % fname)
            chain = chain.parent
        if path in self._seen:
            return
        self._seen.add(path)
        self.files.append(fname)
        try:
            with open(fname, encoding='utf-8') as f:
                text = f.read()
        except OSError as e:
            raise QAPIError(incl_info, "can't read schema file '%s': %s"
                            % (fname, e.strerror))
        except UnicodeDecodeError:
            raise QAPIError(incl_info, "schema file '%s' is not UTF-8" % fname)
        p = _FileParser(_Lexer(text, SourceInfo(fname, 1, incl_info)))
        while p.tok != 'eof':
            docs, p.docs = p.docs, []
            if p.tok != '{':
                p.error("expected '{' to start a definition, got %s" % p.describe())
            info = p.lex.info(p.tok_line)
            # Also reads the documentation comments that follow.
            expr = p.obj(top=True)
            self._handle(expr, info, docs, fname)
        self._attach_docs(p.docs, None)

    def _attach_docs(self, docs, following):
        """Splits docs into free-form ones and the definition doc (the last)."""
        for d in docs[:-1]:
            if d.symbol is not None:
                raise QAPIError(d.info, "documentation for '%s' is not followed "
                                "by its definition" % d.symbol)
        if not docs:
            return None
        last = docs[-1]
        if last.symbol is None:
            return None
        if following is None:
            raise QAPIError(last.info, "documentation for '%s' is not followed "
                            "by its definition" % last.symbol)
        return last

    def _handle(self, expr, info, docs, fname):
        if 'include' in expr:
            self._attach_docs(docs, None)
            if set(expr) != {'include'}:
                raise QAPIError(info, "'include' must be the only key")
            incl = expr['include']
            if not isinstance(incl, str):
                raise QAPIError(info, "value of 'include' must be a string")
            path = os.path.join(os.path.dirname(fname), incl)
            self._parse_file(path, info)
            return
        if 'pragma' in expr:
            self._attach_docs(docs, None)
            if set(expr) != {'pragma'}:
                raise QAPIError(info, "'pragma' must be the only key")
            self._pragma(expr['pragma'], info)
            return
        doc = self._attach_docs(docs, expr)
        self.exprs.append(Expression(expr, info, doc))

    def _pragma(self, pragma, info):
        if not isinstance(pragma, dict):
            raise QAPIError(info, "value of 'pragma' must be an object")
        for name, value in pragma.items():
            if name == 'doc-required':
                if not isinstance(value, bool):
                    raise QAPIError(info, "pragma 'doc-required' must be true or false")
                self.pragmas.doc_required = value
            elif name in PRAGMA_LISTS:
                if (not isinstance(value, list)
                        or not all(isinstance(v, str) for v in value)):
                    raise QAPIError(info, "pragma '%s' must be a list of strings"
                                    % name)
                self.pragmas.lists[name].update(value)
            else:
                raise QAPIError(info, "unknown pragma '%s'" % name)
