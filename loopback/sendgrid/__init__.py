"""A local SendGrid (Mail Send v3, and its signed Event Webhook) on 127.0.0.1: server.py for its
use in-process, process.py for its own process, contract.py for what it checks."""

from loopback.sendgrid.contract import CONTRACT_PATH, Contract, Problem
from loopback.sendgrid.process import server_process
from loopback.sendgrid.server import Fault, SendgridServer

__all__ = ["CONTRACT_PATH", "Contract", "Fault", "Problem", "SendgridServer", "server_process"]
