# Cross-check of sibylsh golden strings against the pinned cqlsh 6.2.2 / driver 3.30.1.
# Run from the venv site-packages dir:  cd <venv>/lib/python3.11/site-packages && <venv>/bin/python <this file>
# Its printed values are the expected strings in shell/src/format/{value,table}_tests.rs and error.rs.

# --- values (formatting.py) ---
import sys, datetime, uuid, decimal, ipaddress
from cqlshlib.formatting import format_by_type, CqlType
from cassandra.util import Date, Time, Duration, OrderedMapSerializedKey
from cassandra.cqltypes import lookup_casstype
def f(val, t, prec=5, color=False):
    r = format_by_type(val, CqlType(t), 'utf8', addcolor=color, float_precision=prec)
    return (r.strval, r.coloredval, r.displaywidth) if color else (r.strval, r.displaywidth)
cases = [
 (-42,'int'), (2**63-1,'bigint'), (7,'smallint'), (-8,'tinyint'), (3,'counter'),
 (123456789012345678901234567890,'varint'), (decimal.Decimal('3.140'),'decimal'), (True,'boolean'), (False,'boolean'),
 (bytearray(b'\xca\xfe\x01'),'blob'), (bytearray(b''),'blob'),
 (2.5,'float'), (float('nan'),'double'), (float('-inf'),'float'),
 (uuid.UUID('550e8400-e29b-41d4-a716-446655440000'),'uuid'), ('10.0.0.1','inet'), ('::1','inet'),
 (datetime.datetime(2024,1,2,3,4,5), 'timestamp'), (datetime.datetime(2024,1,2,3,4,5,123000), 'timestamp'),
 (datetime.datetime(1969,12,31,23,59,59,999000), 'timestamp'),
 (Date(0),'date'), (Date(19724),'date'), (Time(3723000000123),'time'),
 (Duration(14,3,3723004005006),'duration'), (Duration(0,-2,-1000),'duration'), (Duration(0,0,0),'duration'),
 ("it's",'text'), ('a\\b','text'), ('a\nb\t\x01\x7f','text'), ('日本','text'),
 (['a',"it's"],'list<text>'), ([1,2],'set<int>'), ({'k':True},'map<text, boolean>'),
 ((1,None,'x'),'tuple<int, int, text>'),
 ([datetime.datetime(1970,1,1)],'list<timestamp>'), (['127.0.0.1'],'set<inet>'), ([1/3],'list<double>'),
 ([bytearray(b'\x01')],'list<blob>'), ([1,22],'list<int>'), ([],'list<int>'),
]
for v,t in cases:
    try:
        print(t, repr(f(v,t)))
    except Exception as e:
        print(t, 'ERR', repr(e))
print('double 1/3', f(1/3,'double',12))
print('color int', repr(f(1,'int',color=True)))
print('color null', repr(format_by_type(None, CqlType('int'), 'utf8', addcolor=True)))
print('color text', repr(f('a\nb','text',color=True)))
print('color blob', repr(f(bytearray(b'\xff'),'blob',color=True)))
print('color list', repr(f([1,2],'list<int>',color=True)))

# --- layout (cqlshmain.print_formatted_result / _vertically) ---
import io
from cqlshlib import cqlshmain
from cqlshlib.displaying import FormattedValue
class Stub:
    color = False
    def __init__(self): self.buf = io.StringIO()
    def writeresult(self, text, color=None, newline=True, out=None):
        self.buf.write(str(text) + ('\n' if newline else ''))
def name(n): return format_by_type(n, CqlType('text'), 'utf8', addcolor=False)
def val(v, t, p=5): return format_by_type(v, CqlType(t), 'utf8', addcolor=False, float_precision=p)
names = [name('k'), name('name'), name('flag')]
rows = [[val(1,'int'), val('one','text'), format_by_type(None, CqlType('boolean'), 'utf8', addcolor=False)],
        [val(20,'int'), val('twenty','text'), val(True,'boolean')]]
for tty in (False, True):
    s = Stub(); cqlshmain.Shell.print_formatted_result(s, names, rows, True, tty); print(repr(s.buf.getvalue()))
s = Stub(); cqlshmain.Shell.print_formatted_result(s, [name('k'), name('v')], None, True, False); print(repr(s.buf.getvalue()))
s = Stub(); cqlshmain.Shell.print_formatted_result(s, [name('a'), name('longname')], [[val(1,'int'), val(2,'int')]], True, False); print(repr(s.buf.getvalue()))
s = Stub(); cqlshmain.Shell.print_formatted_result_vertically(s, names, rows, 0); print(repr(s.buf.getvalue()))

# --- error lines (driver to_exception as cqlsh prints them) ---
from cassandra import protocol, ConsistencyLevel, WriteType
def line(cls, code, msg, info=None):
    err = cls(code, msg, info).to_exception()
    m = err.message if hasattr(err, 'message') else str(err)
    print(repr(type(err).__name__ + ": " + m))
line(protocol.InvalidRequestException, 0x2200, "unconfigured table t")
line(protocol.SyntaxException, 0x2000, "line 1:7 no viable alternative at input 'x'")
line(protocol.UnauthorizedErrorMessage, 0x2100, "no perms")
line(protocol.ConfigurationException, 0x2300, "bad rf")
line(protocol.ServerError, 0x0000, "boom")
line(protocol.AlreadyExistsException, 0x2400, "x", {'keyspace':'ks','table':''})
line(protocol.AlreadyExistsException, 0x2400, "x", {'keyspace':'ks','table':'t'})
line(protocol.UnavailableErrorMessage, 0x1000, "Cannot achieve consistency level QUORUM", {'consistency':ConsistencyLevel.QUORUM,'required_replicas':2,'alive_replicas':1})
line(protocol.WriteTimeoutErrorMessage, 0x1100, "timeout", {'consistency':ConsistencyLevel.ONE,'received_responses':0,'required_responses':1,'write_type':WriteType.SIMPLE})
line(protocol.ReadTimeoutErrorMessage, 0x1200, "t", {'consistency':ConsistencyLevel.ALL,'received_responses':1,'required_responses':3,'data_retrieved':False})
line(protocol.ReadFailureMessage, 0x1300, "rf", {'consistency':ConsistencyLevel.ONE,'received_responses':0,'required_responses':1,'failures':1,'error_code_map':None,'data_retrieved':False})
line(protocol.OverloadedErrorMessage, 0x1001, "busy")
