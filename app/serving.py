"""Serving with several worker processes, stopped cleanly."""

import contextlib
import socket

from uvicorn.supervisors.multiprocess import Multiprocess


class Supervisor(Multiprocess):
    """uvicorn's supervisor of worker processes, which on SIGTERM or SIGINT first stops the
    shared listening socket: a connection made after the signal is refused at once, as with
    one worker, instead of waiting in the socket's queue until the parent exits and then
    being reset. Requests already accepted finish within the grace period."""

    def _stop_listening(self) -> None:
        for listening in self.sockets:
            with contextlib.suppress(OSError):
                listening.shutdown(socket.SHUT_RD)

    def handle_term(self) -> None:
        self._stop_listening()
        super().handle_term()

    def handle_int(self) -> None:
        self._stop_listening()
        super().handle_int()
