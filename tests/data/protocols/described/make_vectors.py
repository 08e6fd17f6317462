#!/usr/bin/env python3
"""The vendor protocols' vectors, written by an encoder independent of halld's interpreter:
what a vendor's device would send, byte by byte, from the vendor's own documentation
(the comments in config/protocols/vendor_binary_queue.yaml and vendor_text_queue.yaml).
Run from this directory: python3 make_vectors.py"""
import json
from datetime import datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8))


def bcd(n, size):
    out = b""
    for _ in range(size):
        out = bytes([((n % 100) // 10) << 4 | (n % 10)]) + out
        n //= 100
    return out


def bcd_time(utc_iso, size):
    t = datetime.fromisoformat(utc_iso.replace("Z", "+00:00")).astimezone(BEIJING)
    year = bcd(t.year % 100, 1) if size == 6 else bcd(t.year, 2)
    return year + b"".join(bcd(v, 1) for v in (t.month, t.day, t.hour, t.minute, t.second))


def gbk(text, size):
    raw = text.encode("gb18030")
    return raw + b" " * (size - len(raw))


def frame(address, sequence, command, data):
    body = bytes([address]) + sequence.to_bytes(2, "big") + bytes([command]) + data
    check = 0
    for b in body:
        check ^= b
    body += bytes([check])
    escaped = b""
    for b in body:
        escaped += bytes([0x10, b ^ 0x20]) if b in (0x02, 0x03, 0x10) else bytes([b])
    return b"\x02" + escaped + b"\x03"


def hex_of(b):
    return " ".join(f"{x:02x}" for x in b)


BUSINESS = {"bill_payment": 1, "consultation": 2, "new_conn_resident": 3, "ownership_transfer": 4}
binary = []


def event(name, sequence, command, data, decoded):
    binary.append({"name": name, "direction": "uplink", "source": 3, "sequence": sequence,
                   "hex": hex_of(frame(3, sequence, command, data)), "event": decoded})


at = "2026-11-23T09:15:00Z"  # 17:15 in Beijing
event("take_ticket", 0x0102, 0x21, bcd_time(at, 6) + gbk("甲015", 8) + bytes([1, 1]),
      {"type": "ticket_issued", "at": at, "ticket": "甲015", "business": "bill_payment",
       "customer_class": "premium", "source": "kiosk"})
event("call", 0x0103, 0x22, bcd_time(at, 6) + gbk("甲015", 8) + bytes([3]) + gbk("4101001-07", 12),
      {"type": "ticket_called", "at": at, "ticket": "甲015", "window": 3, "staff_no": "4101001-07"})
# The sequence 0x1002 and the window 0x10 need escaping; 0x03 in the time too (03 seconds).
at2 = "2026-11-23T09:20:03Z"
event("finish", 0x1002, 0x24,
      bcd_time(at2, 6) + gbk("甲015", 8) + bytes([0x10]) + gbk("4101001-07", 12) + bytes([2]),
      {"type": "service_finished", "at": at2, "ticket": "甲015", "window": 16,
       "staff_no": "4101001-07", "business": "consultation"})
event("evaluate", 0x1003, 0x25,
      bcd_time(at2, 6) + gbk("甲015", 8) + bytes([3]) + gbk("王", 12) + bytes([5]),
      {"type": "evaluation", "at": at2, "ticket": "甲015", "window": 3, "staff_no": "王",
       "result": "very_satisfied"})
event("window_state", 0x1004, 0x26, bcd_time(at2, 6) + bytes([3, 2]) + gbk("", 12),
      {"type": "window_status", "at": at2, "window": 3, "state": "paused", "staff_no": ""})
event("give_up", 0x1005, 0x27, bcd_time(at2, 6) + gbk("B002", 8),
      {"type": "ticket_abandoned", "at": at2, "ticket": "B002", "reason": "no_show"})
binary.append({"name": "heartbeat", "direction": "uplink", "source": 3, "sequence": 0,
               "hex": hex_of(frame(3, 0, 0x01, b"")), "heartbeat": True})
binary.append({"name": "received", "direction": "downlink", "source": 3, "sequence": 0x1002,
               "hex": hex_of(frame(3, 0x1002, 0x80, b"\x00")), "data_ack": 0x1002})
binary.append({"name": "heartbeat_answer", "direction": "downlink", "source": 3, "sequence": 0,
               "hex": hex_of(frame(3, 0, 0x81, bcd_time(at, 7))), "heartbeat_ack": at})
json.dump(binary, open("vendor_binary_queue.vectors.json", "w"), ensure_ascii=False, indent=1)


def line(pairs):
    return (";".join(f"{k}={v}" for k, v in pairs) + "\r\n").encode("gb18030")


def local(utc_iso):
    return datetime.fromisoformat(utc_iso.replace("Z", "+00:00")).astimezone(BEIJING).strftime("%Y%m%d%H%M%S")


text = []


def text_event(name, pairs, decoded, sequence):
    text.append({"name": name, "direction": "uplink", "source": 1, "sequence": sequence,
                 "hex": hex_of(line(pairs)), "event": decoded})


text.append({"name": "login", "direction": "uplink", "source": 1, "sequence": 0,
             "hex": hex_of(line([("cmd", "LOGIN"), ("site", "4101001"), ("dev", "QMS-01")])),
             "login": {"site": "4101001", "device_id": "QMS-01"}})
text_event("take", [("cmd", "TAKE"), ("seq", 41), ("time", local(at)), ("no", "A015"), ("biz", "bill_payment")],
           {"type": "ticket_issued", "at": at, "ticket": "A015", "business": "bill_payment",
            "customer_class": "unknown", "source": "kiosk"}, 41)
text_event("call", [("cmd", "CALL"), ("seq", 42), ("time", local(at)), ("no", "A015"), ("win", 3), ("staff", "王芳")],
           {"type": "ticket_called", "at": at, "ticket": "A015", "window": 3, "staff_no": "王芳"}, 42)
text_event("done", [("cmd", "DONE"), ("seq", 43), ("time", local(at2)), ("no", "A015"), ("win", 3),
                    ("staff", "王芳"), ("biz", "consultation")],
           {"type": "service_finished", "at": at2, "ticket": "A015", "window": 3, "staff_no": "王芳",
            "business": "consultation"}, 43)
text_event("evaluate", [("cmd", "EVAL"), ("seq", 44), ("time", local(at2)), ("no", "A015"), ("win", 3),
                        ("staff", "王芳"), ("score", 1)],
           {"type": "evaluation", "at": at2, "ticket": "A015", "window": 3, "staff_no": "王芳",
            "result": "dissatisfied"}, 44)
text.append({"name": "heartbeat", "direction": "uplink", "source": 1, "sequence": 0,
             "hex": hex_of(line([("cmd", "HB")])), "heartbeat": True})
text.append({"name": "received", "direction": "downlink", "source": 1, "sequence": 0,
             "hex": hex_of(line([("cmd", "ACK"), ("seq", 43)])), "data_ack": 43})
text.append({"name": "login_answer", "direction": "downlink", "source": 1, "sequence": 0,
             "hex": hex_of(line([("cmd", "LOGINACK"), ("result", 0), ("time", local(at))])),
             "login_ack": at})
text.append({"name": "heartbeat_answer", "direction": "downlink", "source": 1, "sequence": 0,
             "hex": hex_of(line([("cmd", "HBACK"), ("time", local(at))])), "heartbeat_ack": at})
json.dump(text, open("vendor_text_queue.vectors.json", "w"), ensure_ascii=False, indent=1)
