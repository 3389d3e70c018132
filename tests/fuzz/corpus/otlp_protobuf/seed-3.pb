
­
‘

service.name
	sql-agent
'
openinference.project.name	
default
"
telemetry.sdk.language
python
%
telemetry.sdk.name
opentelemetry–

.
$openinference.instrumentation.openai0.1.18ã	
f°'6îõ¾"…@€9g‹hA¾ø˜Z4:}"üÓ´Ï…â3*ChatCompletion09ÜI.qlAäFøÊqlJ 
openinference.span.kind
LLMJ%

session.id
sess-123004ef8df510e6J
user.id

user-11651J
llm.model_name
gpt-4o-miniJ
llm.provider
openaiJ

llm.system
openaiJD
llm.invocation_parameters'
%{"temperature":0.5,"max_tokens":4096}Jı
input.valueí
êWhen as update explain at not issue which to. Latency should latest about annual a time team please not this query and region in that check we. The important the our search of policy region that is and steps your when invoice our all.J
input.mime_type

text/plainJ+
!llm.input_messages.0.message.role
userJ–
$llm.input_messages.0.message.contentí
êWhen as update explain at not issue which to. Latency should latest about annual a time team please not this query and region in that check we. The important the our search of policy region that is and steps your when invoice our all.J|
output.valuel
jBe show usage results an and if today the for our. Based revenue to number metric time access plan and at.J 
output.mime_type

text/plainJ1
"llm.output_messages.0.message.role
	assistantJ
llm.token_count.prompt‘J!
llm.token_count.completion—J
llm.token_count.total¨z