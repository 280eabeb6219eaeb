"""Encode calls and decode results and custom-error reverts from the committed ABIs."""

from __future__ import annotations

from typing import Any

from eth_abi import decode, encode

from ipledger.chain.compiled import Artifact, canonical_type, selector
from ipledger.chain.reverts import revert_class
from ipledger.errors import ContractRevert

# Solidity's built-in Error(string) and Panic(uint256).
_ERROR_STRING = bytes.fromhex("08c379a0")
_PANIC = bytes.fromhex("4e487b71")


class ContractABI:
    """Call encoding and revert decoding for one contract."""

    def __init__(self, artifact: Artifact) -> None:
        self.artifact = artifact
        self._functions = artifact.functions()
        self._errors = artifact.errors()
        self._in_types = {n: [canonical_type(i) for i in f["inputs"]] for n, f in self._functions.items()}
        self._out_types = {n: [canonical_type(o) for o in f["outputs"]] for n, f in self._functions.items()}
        self._selectors = {n: selector(f) for n, f in self._functions.items()}

    def encode_call(self, name: str, *args: Any) -> bytes:
        return self._selectors[name] + encode(self._in_types[name], list(args))

    def decode_output(self, name: str, data: bytes) -> tuple[Any, ...]:
        return tuple(decode(self._out_types[name], data))

    def decode_revert(self, data: bytes) -> ContractRevert:
        """The custom error (name and named arguments) behind revert data."""
        head, body = data[:4], data[4:]
        entry = self._errors.get(head)
        if entry is not None:
            types = [canonical_type(i) for i in entry["inputs"]]
            values = decode(types, body)
            args = {i["name"]: v for i, v in zip(entry["inputs"], values, strict=True)}
            return revert_class(entry["name"])(entry["name"], args, data)
        if head == _ERROR_STRING:
            return ContractRevert("Error", {"message": decode(["string"], body)[0]}, data)
        if head == _PANIC:
            return ContractRevert("Panic", {"code": decode(["uint256"], body)[0]}, data)
        return ContractRevert("Revert", {"data": data}, data)
