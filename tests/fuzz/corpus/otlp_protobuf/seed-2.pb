
Á
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
opentelemetryª
.
$openinference.instrumentation.openai0.1.18á
f°'6îõ¾"…@€9g‹hüÓ´Ï…â3*conversation094ëÉtplA¼çòˆrlJ"
openinference.span.kind
CHAINJ%

session.id
sess-123004ef8df510e6J
user.id

user-11651J

agent.name
	sql-agentJž
input.valueŽ
‹The api there show plan plan is growth with in refund model are latency our. New a what cost in results a. Login to the what document plan?J
input.mime_type

text/plainJ¹
output.value¨
¥This to at for update time the a dashboard and that then or. By data email price source the refund compare can model or not you. Sales growth that the invoice payment error of we cost you plan query. This based version not if refund first the average have today api the that and week on check.J 
output.mime_type

text/plainzê
f°'6îõ¾"…@€9g‹hBˆrs1Ž¬¡"üÓ´Ï…â3*ChatCompletion09LOvplA¬¯þplJ 
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
%{"temperature":0.5,"max_tokens":4096}Jž
input.valueŽ
‹The api there show plan plan is growth with in refund model are latency our. New a what cost in results a. Login to the what document plan?J
input.mime_type

text/plainJ+
!llm.input_messages.0.message.role
userJ·
$llm.input_messages.0.message.contentŽ
‹The api there show plan plan is growth with in refund model are latency our. New a what cost in results a. Login to the what document plan?JÀ
output.value¯
¬It to hotel policy have how flight and what for should hotel from and will below an a. We team of if on our. Help revenue at an this service support count or this be order.J 
output.mime_type

text/plainJ1
"llm.output_messages.0.message.role
	assistantJ
llm.token_count.promptçJ!
llm.token_count.completionœJ
llm.token_count.totalƒ	z¦
f°'6îõ¾"…@€9g‹h@R|Y–@h"üÓ´Ï…â3*list_tables09\ÏþplADËÏ-qlJ!
openinference.span.kind
TOOLJ%

session.id
sess-123004ef8df510e6J
user.id

user-11651J
	tool.name
list_tablesJ>
tool.parameters+
){"schema":"public","include_views":false}J:
input.value+
){"schema":"public","include_views":false}J%
input.mime_type
application/jsonJ”
output.valueƒ
€Hotel table a how total this key what support results more looks based with issue in instead. New the a is for at will be at or.J 
output.mime_type

text/plainz