#pragma once

#include <string_view>

#include "storage/span.h"

namespace roost::ingest {

// The resource attribute naming a span's Phoenix project.
inline constexpr std::string_view kProjectNameAttribute = "openinference.project.name";

// The project of a span that names none, as in Phoenix.
inline constexpr std::string_view kDefaultProject = "default";

// Derives the fields roost lifts out of attributes, overwriting whatever they held:
//   project     `project_header` (the x-project-name request header) if non-empty, else the
//               resource attribute `openinference.project.name` if a non-empty string, else
//               "default" (Phoenix's order);
//   kind        `openinference.span.kind` (ParseSpanKind), else from `gen_ai.operation.name`:
//               chat, text_completion, generate_content -> LLM; embeddings -> EMBEDDING;
//               execute_tool -> TOOL; invoke_agent, create_agent -> AGENT; else UNKNOWN;
//   session_id  `session.id`, else `gen_ai.conversation.id` (a string, or an int as decimal);
//   user_id     `user.id` (a string, or an int as decimal);
//   model_name  `llm.model_name`, else `gen_ai.response.model`, else `gen_ai.request.model`;
//   provider    `llm.provider`, else `llm.system`, else `gen_ai.provider.name`, else
//               `gen_ai.system`;
//   prompt_tokens, completion_tokens
//               `llm.token_count.prompt` / `.completion`, else `gen_ai.usage.input_tokens` /
//               `gen_ai.usage.output_tokens`, else 0;
//   total_tokens
//               `llm.token_count.total`, else prompt_tokens + completion_tokens;
//   cost_usd    `llm.cost.total`, else nullopt;
//   cache_read_tokens, cache_write_tokens, prompt_audio_tokens
//               `llm.token_count.prompt_details.cache_read` / `.cache_write` / `.audio`, else 0;
//   reasoning_tokens, completion_audio_tokens
//               `llm.token_count.completion_details.reasoning` / `.audio`, else 0
//               (negative detail counts become 0, as Phoenix reads them).
// Counts and cost accept an int, a double (counts rounded to nearest, saturating at the int64
// range) or a string holding a number; anything else counts as absent. An OpenInference key wins
// over its GenAI counterpart whenever it holds a usable value (a non-empty string, a known kind,
// a number). Span attributes are read for everything but the project (resource attributes); of
// duplicate keys the first wins. Nothing is validated here: run ValidateSpan afterwards (it
// rejects, e.g., negative or huge token counts). Thread-compatible; pure function of its inputs.
void ApplySemanticConventions(std::string_view project_header, Span* span);

}  // namespace roost::ingest
