"""The embedded filesystem broker never hands a consumer a half-written message."""

import threading

from kombu import Connection

from exchange.common.broker import Transport


def test_filesystem_urls_use_the_atomic_transport(tmp_path):
    with Connection(
        "filesystem://",
        transport_options={
            "data_folder_in": str(tmp_path),
            "data_folder_out": str(tmp_path),
            "control_folder": str(tmp_path / "control"),
        },
    ) as connection:
        assert isinstance(connection.transport, Transport)


def test_a_consumer_polling_while_messages_are_written_reads_every_one_whole(tmp_path):
    options = {
        "data_folder_in": str(tmp_path),
        "data_folder_out": str(tmp_path),
        "control_folder": str(tmp_path / "control"),
        "polling_interval": 0,
    }
    payloads = [{"n": n, "body": "x" * 20000} for n in range(300)]
    received, errors = [], []

    def consume():
        with Connection("filesystem://", transport_options=options) as connection:
            queue = connection.SimpleQueue("race")
            while len(received) < len(payloads):
                try:
                    message = queue.get(timeout=30)  # generous: a loaded CI box is slow
                except Exception as exc:  # a half-read file would raise here
                    errors.append(exc)
                    return
                received.append(message.payload["n"])
                message.ack()

    consumer = threading.Thread(target=consume)
    consumer.start()
    with Connection("filesystem://", transport_options=options) as connection:
        queue = connection.SimpleQueue("race")
        for payload in payloads:
            queue.put(payload)
    consumer.join(timeout=60)
    assert errors == []
    assert sorted(received) == list(range(300))
    assert not list(tmp_path.glob("*.partial"))
