"""The embedded filesystem broker never hands a consumer a half-written message."""

import threading
import uuid

from kombu import Connection, Exchange, Queue

from exchange.common.broker import Channel, Transport


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


def test_a_new_exchange_table_is_never_read_half_written(tmp_path):
    # given many connections binding queues to one new exchange while others look it up
    control = tmp_path / "control"
    options = {
        "data_folder_in": str(tmp_path),
        "data_folder_out": str(tmp_path),
        "control_folder": str(control),
    }
    errors = []
    start = threading.Barrier(16)

    def bind(number):
        with Connection("filesystem://", transport_options=options) as connection:
            channel = connection.default_channel
            start.wait()
            try:
                channel._queue_bind("jobs", f"q{number}", "", f"q{number}")
            except Exception as exc:
                errors.append(exc)

    def look_up():
        with Connection("filesystem://", transport_options=options) as connection:
            channel = connection.default_channel
            start.wait()
            for _attempt in range(2000):
                try:
                    channel.get_table("jobs")
                except Exception as exc:  # an empty table file raised here
                    errors.append(exc)
                    return

    threads = [threading.Thread(target=bind, args=(n,)) for n in range(8)]
    threads += [threading.Thread(target=look_up) for _reader in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # then no lookup failed, and every binding is in the table
    assert errors == []
    with Connection("filesystem://", transport_options=options) as connection:
        table = connection.default_channel.get_table("jobs")
    assert sorted(q.queue for q in table) == [f"q{n}" for n in range(8)]
    assert not list(control.glob("*.partial"))


def test_a_message_sent_while_another_thread_writes_the_binding_arrives(tmp_path, monkeypatch):
    # given a thread that has declared the queue in memory, its binding file not yet written
    options = {
        "data_folder_in": str(tmp_path),
        "data_folder_out": str(tmp_path),
        "control_folder": str(tmp_path / "control"),
    }
    name = f"race{uuid.uuid4().hex}"  # kombu keeps bindings in memory for the process
    queue = Queue(name, Exchange(name), name)
    writing, written = threading.Event(), threading.Event()
    write_binding = Channel._queue_bind

    def slow_write(self, *args):
        writing.set()
        written.wait(10)
        write_binding(self, *args)

    monkeypatch.setattr(Channel, "_queue_bind", slow_write)

    def declare():
        with Connection("filesystem://", transport_options=options) as connection:
            queue(connection.default_channel).declare()

    binder = threading.Thread(target=declare)
    binder.start()
    assert writing.wait(10)
    # when another thread of the process sends a message in that moment
    with Connection("filesystem://", transport_options=options) as connection:
        connection.Producer().publish(
            {"n": 1}, exchange=queue.exchange, routing_key=name, declare=[queue]
        )
    written.set()
    binder.join(10)
    # then it is in the queue
    with Connection("filesystem://", transport_options=options) as connection:
        message = connection.SimpleQueue(queue).get(timeout=5)
        assert message.payload == {"n": 1}
