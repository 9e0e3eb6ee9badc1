"""The zoo's preview callback: demos that make frames hand each frame over as soon as it is made."""

import pytest

from generation.zoo import demos as zoo


def test_diffusion_hands_each_frame_to_preview_in_order_before_its_progress_step():
    events: list = []
    result = zoo.run_demo(
        "ddpm-digits",
        {"n": 1, "seed": 0, "steps": 4, "frames": 4},
        progress=lambda step, total: events.append(("progress", step)),
        preview=lambda artefact: events.append(("preview", artefact)),
    )
    previews = [a for kind, a in events if kind == "preview"]
    frames = [a for a in result.artefacts if a.role == "frame"]
    assert [a.name for a in previews] == [
        "frame-0001.png",
        "frame-0002.png",
        "frame-0003.png",
        "frame-0004.png",
    ]
    assert [(a.name, a.data) for a in previews] == [(a.name, a.data) for a in frames]  # still all returned
    assert all(a.content_type == "image/png" and a.data.startswith(b"\x89PNG") for a in previews)
    # Each frame arrives while the run goes on: before the progress call of its own step.
    for index, (kind, artefact) in enumerate(events):
        if kind == "preview":
            step = int(artefact.name[6:10])
            assert ("progress", step) in events[index + 1 :]
            assert ("progress", step) not in events[:index]


def test_langevin_previews_the_start_and_each_frame_of_the_chain():
    previews: list = []
    result = zoo.run_demo(
        "ebm-langevin", {"n": 1, "seed": 0, "steps": 4, "frames": 2}, preview=previews.append
    )
    frames = [a for a in result.artefacts if a.role == "frame"]
    assert (
        [a.name for a in previews]
        == [a.name for a in frames]
        == ["frame-000.png", "frame-001.png", "frame-002.png"]
    )
    assert [a.data for a in previews] == [a.data for a in frames]


def test_a_demo_without_frames_never_calls_preview_and_preview_errors_propagate():
    called: list = []
    zoo.run_demo("ebm-energy-landscape", {"n": 1, "seed": 0, "steps": 1}, preview=called.append)
    assert called == []

    class Stop(Exception):
        pass

    def refuse(artefact):
        raise Stop(artefact.name)

    with pytest.raises(Stop, match=r"frame-0001\.png"):
        zoo.run_demo("ddpm-digits", {"n": 1, "seed": 0, "steps": 3, "frames": 3}, preview=refuse)
