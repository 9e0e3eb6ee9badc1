"""The same queue on RabbitMQ (the other broker the README offers): a job goes through AMQP to a real
``celery worker`` and succeeds, and a worker child killed mid-job has its message redelivered at once (the
broker requeues an unacknowledged message when the consumer's channel closes) and the job completes once."""

import os

import pytest
from kombu import Connection

from config.celery import app as celery_app
from generation.models import GenerationJob, Sample
from tests.generation.conftest import CPU_QUEUE, wait_job
from tests.generation.test_services import first_demo, small
from tests.generation.test_worker import kill_its_child_mid_job, request, slow_request

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
Status = GenerationJob.Status
AMQP_URL = os.environ.get("GENERATION_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
QUEUE = f"{CPU_QUEUE}-amqp"


@pytest.fixture(scope="module")
def amqp_broker(redis_broker):
    """Send this module's tasks through RabbitMQ; afterwards back to Redis, and the test queue deleted."""
    previous = celery_app.conf.broker_url
    celery_app.conf.broker_url = AMQP_URL
    celery_app._after_fork()  # drop the Redis connection pools
    yield AMQP_URL
    celery_app.conf.broker_url = previous
    celery_app._after_fork()
    with Connection(AMQP_URL) as connection:
        connection.default_channel.queue_delete(QUEUE)


@pytest.fixture
def amqp_worker(amqp_broker, worker_factory, settings):
    settings.CELERY_CPU_QUEUE = QUEUE
    return worker_factory(queue=QUEUE, name="amqp", CELERY_BROKER_URL=amqp_broker, CELERY_CPU_QUEUE=QUEUE)


def test_a_request_runs_through_rabbitmq(demos, amqp_worker):
    demo = first_demo(demos)
    job = wait_job(request(demo, **small(demo)).pk)
    assert job.status == Status.SUCCEEDED, f"{job.error}\n{amqp_worker.text()[-3000:]}"
    assert job.queue == QUEUE and job.worker.startswith(amqp_worker.name) and job.attempts == 1
    assert "amqp://" in amqp_worker.text()  # the worker really consumed from RabbitMQ
    assert job.samples.filter(role="result").count() == 1


def test_a_killed_child_s_job_is_redelivered_by_rabbitmq_and_completes_once(demos, amqp_worker):
    demo, params = slow_request(demos)
    running = kill_its_child_mid_job(request(demo, **params), amqp_worker)
    done = wait_job(running.pk, timeout=120)
    assert done.status == Status.SUCCEEDED, f"{done.error}\n{amqp_worker.text()[-3000:]}"
    assert done.attempts == 2 and done.worker_pid != running.worker_pid
    assert Sample.objects.filter(job=done, role="result").count() == 1
