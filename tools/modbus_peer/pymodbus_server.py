#!/usr/bin/python3
"""A Modbus TCP device for tests, from Debian's python3-pymodbus (an implementation independent of
halld's): unit 1 with coils, discrete inputs, holding and input registers holding known values.
Usage: pymodbus_server.py PORT_FILE — listens on 127.0.0.1 at a free port, writes it to PORT_FILE.
"""
import socket
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartTcpServer


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    # pymodbus's blocks count from 1 for a request's address 0 (its zero_mode off).
    store = ModbusSlaveContext(
        co=ModbusSequentialDataBlock(1, [1, 0, 1, 1, 0, 0, 1, 0, 1, 0]),
        di=ModbusSequentialDataBlock(1, [0, 1, 1, 0, 1]),
        hr=ModbusSequentialDataBlock(1, [235, 0xFFD6, 0x0001, 0x86A0, 0x41BC, 0x0000, 0, 0, 0, 0]),
        ir=ModbusSequentialDataBlock(1, [650, 42, 7, 0]),
    )
    context = ModbusServerContext(slaves={1: store}, single=False)
    port = free_port()
    with open(sys.argv[1] + ".new", "w") as out:
        out.write(str(port))
    import os
    os.rename(sys.argv[1] + ".new", sys.argv[1])
    StartTcpServer(context=context, address=("127.0.0.1", port))


if __name__ == "__main__":
    main()
