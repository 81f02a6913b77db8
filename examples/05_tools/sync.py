"""Tools: let the agent call your Python functions.

python examples/05_tools/sync.py                       # with your Codex account
python examples/_offline.py examples/05_tools/sync.py  # offline, scripted model

`@tool` turns a function into a tool: its name, its docstring (summary and `Args:`) and
its type hints become what the model sees. When the agent calls it, the arguments are
validated, the function runs, and its return value goes back to the agent (a string as is,
anything else as JSON). Invalid arguments or an exception go back as a failed call with
the message, so the agent can correct itself. Dynamic tools are an experimental app-server
API (enabled by default in `AppServerConfig`).
"""

from typing import TYPE_CHECKING, Literal

from codex_app_server import AppServerConfig, Codex, tool

if TYPE_CHECKING:
    from codex_app_server.testing import ScriptedModel

FORECASTS = {"paris": (22, "sunny"), "oslo": (9, "rain")}


@tool
def get_weather(city: str, unit: Literal["C", "F"] = "C") -> dict[str, object]:
    """The current weather in a city.

    Args:
        city: the city's name, e.g. "Paris".
        unit: temperature unit.
    """
    print(f"[tool] get_weather(city={city!r}, unit={unit!r})")
    if city.lower() not in FORECASTS:
        raise LookupError(f"no forecast for {city}")
    celsius, sky = FORECASTS[city.lower()]
    temperature = celsius if unit == "C" else round(celsius * 9 / 5 + 32)
    return {"city": city, "temperature": temperature, "unit": unit, "sky": sky}


def main(config: AppServerConfig | None = None) -> None:
    print("tool schema:", get_weather.input_schema)
    with Codex(config) as codex:
        thread = codex.thread_start(tools=[get_weather])
        result = thread.run("What's the weather in Paris and in Atlantis, in Fahrenheit?")
        for item in result.items:
            if item.type == "dynamicToolCall":
                text = item.content_items[0].text if item.content_items else ""
                print(f"[call] {item.tool}({item.arguments}) success={item.success}: {text}")
        print("answer:", result.final_response)


def script(model: "ScriptedModel") -> None:
    """The model replies this example needs offline."""
    from codex_app_server.testing import Reply

    model.enqueue(
        Reply.function_call("get_weather", {"city": "Paris", "unit": "F"}, call_id="paris"),
        Reply.function_call("get_weather", {"city": "Atlantis", "unit": "F"}, call_id="atl"),
        Reply.text("Paris: 72°F and sunny. I have no forecast for Atlantis."),
    )


if __name__ == "__main__":
    main()
