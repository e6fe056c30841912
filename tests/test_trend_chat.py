"""/trend through both platforms' real client libraries: the chart arrives as a Telegram photo
(sendPhoto, multipart) and as a Slack file (files.getUploadURLExternal, the upload,
files.completeUploadExternal), in the right chat and thread, with its caption."""

from __future__ import annotations

import io
import time

from PIL import Image as PILImage

from bot.chat.telegram.bot import TelegramBot
from tests.chatbot import ChatBot, testbot_fixture  # noqa: F401
from tests.fakes.slack_api import SlackAPIServer
from tests.fakes.telegram_api import BotAPIServer

# Fixtures are imported under the names the tests ask for.
from tests.test_slack import CHANNEL, Workspace, texts
from tests.test_slack import slack_server as slack_server
from tests.test_slack import workspace as workspace
from tests.test_telegram import says
from tests.test_telegram import tg_server as tg_server
from tests.test_telegram import tgbot as tgbot


def png_size(data: bytes) -> tuple[int, int]:
    return PILImage.open(io.BytesIO(data)).size


async def test_telegram_trend_is_a_photo_in_its_topic_with_the_caption(
    tgbot: TelegramBot, tg_server: BotAPIServer, testbot: ChatBot
) -> None:
    forum = -1003003
    tg_server.add_chat(forum, "supergroup", is_forum=True)
    tg_server.add_topic(forum, 9)
    tg_server.set_member(forum, 5, "member")
    answer = await says(tg_server, forum, "/trend huawei 30d", 5, thread_id=9)
    [photo] = [m for m in answer if "photo" in m]
    assert png_size(photo["photo"]) == (1000, 500)
    assert photo["message_thread_id"] == 9 and photo["reply_to"] is not None
    assert photo["plain"].startswith("Huawei: ") and " in 30 days" in photo["plain"]
    assert len(answer) == 1  # the caption holds the whole answer: one message

    private = await says(tg_server, 5, "/trend Spotify", 5)
    assert not any("photo" in m for m in private)  # nothing to draw: a sentence
    assert "No stories about Spotify in the last 30 days" in private[0]["plain"]


async def test_slack_trend_is_a_file_in_the_channel_and_in_a_thread(
    workspace: Workspace, slack_server: SlackAPIServer
) -> None:
    before = len(slack_server.posted[CHANNEL])
    await workspace.news("trend huawei 7d")
    [chart] = slack_server.files[CHANNEL]
    assert png_size(chart["data"]) == (1000, 500) and chart["thread_ts"] is None
    assert chart["title"] == "Huawei: stories per day, last 7 days"
    caption = slack_server.posted[CHANNEL][before:]
    assert "Huawei:" in texts(caption) and " in 7 days" in texts(caption)

    thread = slack_server.posted[CHANNEL][0]["ts"]
    await workspace.event(
        {
            "type": "app_mention",
            "channel": CHANNEL,
            "user": "U0USER",
            "text": "<@UNEWSBOT> trend huawei vs google",
            "ts": f"1800000002.{time.monotonic_ns() % 1_000_000:06d}",
            "thread_ts": thread,
        }
    )
    assert [f["thread_ts"] for f in slack_server.files[CHANNEL]] == [None, thread]
    assert slack_server.files[CHANNEL][1]["title"].startswith("Huawei vs Google")
