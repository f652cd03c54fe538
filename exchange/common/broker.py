"""The embedded broker: kombu's filesystem transport, with files written atomically.

kombu creates a message file, then locks and writes it; a consumer polling the folder
can take the file in between and read it empty (a JSONDecodeError that stops the
worker). Here a message is written under a name no consumer looks at, then renamed
into place in one step. The same holds for an exchange's binding table in the control
folder: kombu creates it empty, then locks and writes it, and a publisher looking up
the exchange in between reads nothing. Here a new table appears whole (a hard link
that fails if another process made it first; kombu's locked update then adds to it).
And within one process, kombu records a binding in memory before it writes the table:
another thread of the process skips the binding and publishes while the file is not
there yet, and the message goes nowhere. Here a lookup also counts the bindings this
process made.
"""

import os
import uuid

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(filesystem.monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = f"{final}.partial"  # ends otherwise than ".<queue>.msg": never consumed
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def get_table(self, exchange):
        table = super().get_table(exchange)
        made_here = self.state.exchanges.get(exchange, {}).get("table", [])
        for routing_key, pattern, queue in list(made_here):
            binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
            if binding not in table:
                table.append(binding)
        return table

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        file = self._exchange_file(exchange)
        if not file.exists():
            self.control_folder.mkdir(parents=True, exist_ok=True)
            table = [filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")]
            partial = file.with_name(f"{file.name}.{uuid.uuid4()}.partial")
            try:
                partial.write_bytes(str_to_bytes(dumps(table)))
                os.link(partial, file)  # appears whole, or not at all if it exists
                return
            except FileExistsError:
                pass  # another process made it meanwhile: add to theirs below
            except OSError:
                pass  # no hard links here: kombu's own way below
            finally:
                partial.unlink(missing_ok=True)
        super()._queue_bind(exchange, routing_key, pattern, queue)


class Transport(filesystem.Transport):
    Channel = Channel


def install() -> None:
    """Make ``filesystem://`` use this transport (call before the first connection)."""
    TRANSPORT_ALIASES["filesystem"] = "exchange.common.broker:Transport"
