"""Model backends: the protocol, provider modules (loaded lazily), wrappers and the spec registry."""

from agentflow.backends.base import (
    Backend,
    ChatMessage,
    ChatRequest,
    ChatResponse,
    StreamChunk,
    ToolCall,
    ToolDef,
)

__all__ = ["Backend", "ChatMessage", "ChatRequest", "ChatResponse", "StreamChunk", "ToolCall", "ToolDef"]
