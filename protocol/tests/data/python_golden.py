"""Regenerates the request golden vectors of tests/golden.rs with the Python
cassandra-driver (3.30.1): `pip install cassandra-driver`, then run this file.
It is not run by the test suite (CI has no Python driver); its output is pasted
into golden.rs."""
import io

from cassandra import ConsistencyLevel
from cassandra.protocol import (AuthResponseMessage, BatchMessage, ExecuteMessage, OptionsMessage,
                                PrepareMessage, ProtocolHandler, QueryMessage, RegisterMessage,
                                StartupMessage)
from cassandra.query import BatchType
from cassandra.segment import SegmentCodec

enc = ProtocolHandler.encode_message


def show(name, msg, stream, version):
    print(name, enc(msg, stream, version, None, False).hex())


show("startup", StartupMessage(cqlversion="3.0.0", options={}), 1, 4)
show("options", OptionsMessage(), 0, 4)
q = QueryMessage("SELECT * FROM ks.t WHERE k = ?", ConsistencyLevel.QUORUM,
                 serial_consistency_level=ConsistencyLevel.LOCAL_SERIAL, fetch_size=100,
                 paging_state=None, timestamp=1234567890)
q.query_params = [b'\x00\x00\x00\x01', None]
show("query4", q, 5, 4)
show("query5", q, 5, 5)
show("register", RegisterMessage(["TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"]), 2, 4)
show("execute5", ExecuteMessage(b'\x01\x02', [b'\x00\x00\x00\x07'], ConsistencyLevel.ONE,
                                result_metadata_id=b'\x09', skip_meta=True), 3, 5)
show("batch4", BatchMessage(BatchType.UNLOGGED, [(False, "INSERT INTO t (k) VALUES (1)", ()),
                                                 (True, b'\xaa', [b'\x00\x00\x00\x02'])],
                            ConsistencyLevel.ONE), 4, 4)
show("batch5", BatchMessage(BatchType.LOGGED, [(False, "INSERT INTO t (k) VALUES (1)", ())],
                            ConsistencyLevel.QUORUM, serial_consistency_level=ConsistencyLevel.SERIAL,
                            timestamp=42, keyspace="ks"), 6, 5)
show("prepare5", PrepareMessage("SELECT k FROM t", keyspace="ks"), 7, 5)
show("auth4", AuthResponseMessage(b"\x00cassandra\x00cassandra"), 8, 4)
codec = SegmentCodec()
buf = io.BytesIO()
codec.encode(buf, enc(OptionsMessage(), 0, 5, None, False))
print("segment", buf.getvalue().hex())
