#pragma once

namespace azx::testing {

// azkaban-wire 5.10, copied verbatim.
inline constexpr const char* kSpecExample = R"json({
  "id": null,
  "status": "RUNNING",
  "startTime": 1700000005000,
  "endTime": -1,
  "updateTime": 1700000130300,
  "type": null,
  "condition": null,
  "conditionOnJobStatus": "all_success",
  "attempt": 0,
  "flowId": "main",
  "nodes": [
    {
      "id": "jobA",
      "status": "SUCCEEDED",
      "startTime": 1700000005100,
      "endTime": 1700000065100,
      "updateTime": 1700000065100,
      "type": "command",
      "condition": null,
      "conditionOnJobStatus": "all_success",
      "attempt": 0,
      "outNodes": ["jobC"],
      "propSource": "shared.properties",
      "jobSource": "jobA.job",
      "outputProps": {"row.count": "42"}
    },
    {
      "id": "sub",
      "status": "RUNNING",
      "startTime": 1700000005150,
      "endTime": -1,
      "updateTime": 1700000125200,
      "type": "flow",
      "condition": null,
      "conditionOnJobStatus": "all_success",
      "attempt": 0,
      "outNodes": ["jobC"],
      "propSource": "shared.properties",
      "jobSource": "sub.job",
      "flowId": "subflow",
      "nodes": [
        {
          "id": "jobB",
          "status": "RUNNING",
          "startTime": 1700000130300,
          "endTime": -1,
          "updateTime": 1700000130300,
          "type": "command",
          "condition": null,
          "conditionOnJobStatus": "all_success",
          "attempt": 1,
          "propSource": "shared.properties",
          "jobSource": "jobB.job",
          "pastAttempts": [
            {"attempt": 0, "startTime": 1700000005200, "endTime": 1700000125200, "status": "FAILED"}
          ]
        }
      ],
      "properties": [{"source": "shared.properties"}]
    },
    {
      "id": "jobC",
      "status": "READY",
      "startTime": -1,
      "endTime": -1,
      "updateTime": -1,
      "type": "command",
      "condition": null,
      "conditionOnJobStatus": "all_success",
      "attempt": 0,
      "inNodes": ["jobA", "sub"],
      "propSource": "shared.properties",
      "jobSource": "jobC.job"
    }
  ],
  "properties": [{"source": "shared.properties"}],
  "executionId": 1042,
  "executionPath": "executions/1042",
  "projectId": 7,
  "projectName": "demo",
  "submitUser": "alice",
  "version": 3,
  "lastModfiedTime": 1699990000000,
  "lastModifiedUser": "alice",
  "azkabanFlowVersion": 1.0,
  "executionOptions": {
    "flowParameters": {"env": "prod"},
    "notifyOnFirstFailure": true,
    "notifyOnLastFailure": false,
    "successEmails": [],
    "failureEmails": ["ops@example.com"],
    "failureAction": "FINISH_CURRENTLY_RUNNING",
    "pipelineLevel": null,
    "pipelineExecId": null,
    "queueLevel": 0,
    "concurrentOption": "ignore",
    "disabled": [],
    "failureEmailsOverride": true,
    "successEmailsOverride": false,
    "mailCreator": "default",
    "memoryCheck": true
  },
  "proxyUsers": ["etl"],
  "submitTime": 1700000000000,
  "slaOptions": [
    {
      "type": "FlowSucceed",
      "actions": ["SlaAlert"],
      "info": {
        "FlowName": "main",
        "Duration": "120m",
        "EmailList": ["ops@example.com"],
        "SlaAlertType": "email"
      }
    }
  ],
  "isLocked": false,
  "flowLockErrorMessage": null
})json";

inline constexpr const char* kSpecDelta =
    R"json({"updated":[{"id":"main","status":30,"startTime":1700000005000,"endTime":-1,
 "updateTime":1700000130300,"attempt":0,"executionId":1042,
 "nodes":[{"id":"sub","status":30,"startTime":1700000005150,"endTime":-1,
   "updateTime":1700000125200,"attempt":0,
   "nodes":[{"id":"jobB","status":30,"startTime":1700000130300,"endTime":-1,
     "updateTime":1700000130300,"attempt":1,
     "pastAttempts":[{"attempt":0,"startTime":1700000005200,
       "endTime":1700000125200,"status":"FAILED"}]}]}]}]})json";

}  // namespace azx::testing
