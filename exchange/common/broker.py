"""The embedded broker: kombu's filesystem transport, with messages written atomically.

kombu creates a message file, then locks and writes it; a consumer polling the folder
can take the file in between and read it empty (a JSONDecodeError that stops the
worker). Here a message is written under a name no consumer looks at, then renamed
into place in one step.
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


class Transport(filesystem.Transport):
    Channel = Channel


def install() -> None:
    """Make ``filesystem://`` use this transport (call before the first connection)."""
    TRANSPORT_ALIASES["filesystem"] = "exchange.common.broker:Transport"
