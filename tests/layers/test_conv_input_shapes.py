"""mlkit/layers/convolutional/input_shapes.py: the shape checks and their messages."""

import pytest

from mlkit.layers.convolutional.input_shapes import check_channels, check_rank, layout


class FakeLayer:
    name = "probe"


def test_layout_names_the_axes():
    assert layout(2, "channels_last") == "(batch, height, width, channels)"
    assert layout(2, "channels_first") == "(batch, channels, height, width)"
    assert layout(1, "channels_last") == "(batch, steps, channels)"


def test_one_axis_short_suggests_both_fixes():
    with pytest.raises(ValueError) as error:
        check_rank(FakeLayer(), (16, 8, 8), 2, "channels_last")
    message = str(error.value)
    assert "FakeLayer 'probe' expects inputs of rank 4" in message
    assert "x[..., None]" in message and "x[None, ...]" in message


def test_other_ranks_get_no_misleading_hint():
    check_rank(FakeLayer(), (None, 8, 8, 1), 2, "channels_last")  # fine: no error
    with pytest.raises(ValueError) as error:
        check_rank(FakeLayer(), (2, 3, 8, 8, 1), 2, "channels_last")
    assert "x[..., None]" not in str(error.value)


def test_channel_check_knows_the_data_format():
    check_channels(FakeLayer(), (None, 3, 8, 8), 3, "channels_first")
    check_channels(FakeLayer(), (None, 8, 8, None), 3, "channels_last")  # unknown: nothing to check
    with pytest.raises(ValueError, match=r"built for inputs with 3 channels.*axis 1"):
        check_channels(FakeLayer(), (None, 8, 8, 3), 3, "channels_first")
