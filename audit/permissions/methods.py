"""The escalation methods the graph knows, as data: which actions, which service, which ids.

Sources (facts, not code): Rhino Security Labs' 21 methods, the edge checkers of PMapper and
the paths of DataDog's pathfinding.cloud (ids like ``ec2-001``). The README's coverage table
("Privilege escalation: a graph of principals") says which are covered and which are not.

- :data:`PASS_ROLE_METHODS`: create compute that runs as a role the caller passes
  (``iam:PassRole`` on the role + the service actions; the role must trust the service).
- :data:`EXISTING_COMPUTE_METHODS`: reach compute that already runs as a role (no PassRole).
  Without an inventory of functions, instances, projects..., the edge goes to every role that
  trusts the service, and is conditional: nothing proves such a resource exists.

A method that builds on top of another (its actions a superset) comes first: the graph keeps
the first edge it finds to a role, and the longer method is the one that needs no existing
resource (batch-003 builds the queue batch-001 needs). ``needs`` names a resource a method
must find in the account, which the snapshot does not hold: such an edge is conditional.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ComputeMethod:
    actions: tuple[str, ...]  # all needed (PassRole is added for the pass-role family)
    services: tuple[str, ...]  # service principals the role must trust (any of them)
    ids: tuple[str, ...] = ()  # pathfinding.cloud ids / "Rhino" / "PMapper"
    name: str = ""  # the actions joined with " + "
    needs: str = ""  # a resource that must already exist (not collected): edge conditional
    lowered: frozenset[str] = frozenset()  # the actions in lower case, for set tests

    @property
    def catalogue_ids(self) -> tuple[str, ...]:
        """The pathfinding.cloud ids (``ec2-001``), without the "Rhino" / "PMapper" marks."""
        return tuple(i for i in self.ids if i[-3:].isdigit())


def _m(actions: str, services: str, ids: str = "", needs: str = "") -> ComputeMethod:
    names = tuple(actions.split())
    return ComputeMethod(
        names,
        tuple(f"{s}.amazonaws.com" for s in services.split()),
        tuple(ids.split()),
        " + ".join(names),
        needs,
        frozenset(n.lower() for n in names),
    )


PASS_ROLE_METHODS: tuple[ComputeMethod, ...] = (
    _m("ec2:RunInstances", "ec2", "ec2-001 Rhino PMapper"),
    _m("ec2:RequestSpotInstances", "ec2", "ec2-004"),
    _m(
        "autoscaling:CreateLaunchConfiguration autoscaling:CreateAutoScalingGroup", "ec2", "PMapper"
    ),
    _m("ec2:CreateLaunchTemplate autoscaling:CreateAutoScalingGroup", "ec2", "PMapper"),
    _m("elasticmapreduce:RunJobFlow", "ec2", "emr-001"),
    _m("lambda:CreateFunction lambda:InvokeFunction", "lambda", "lambda-001 Rhino PMapper"),
    _m(
        "lambda:CreateFunction lambda:CreateEventSourceMapping",
        "lambda",
        "lambda-002 Rhino PMapper",
    ),
    _m("lambda:CreateFunction lambda:AddPermission", "lambda", "lambda-006"),
    _m("glue:CreateDevEndpoint", "glue", "glue-001 Rhino PMapper"),
    _m("glue:CreateJob glue:StartJobRun", "glue", "glue-003"),
    _m("glue:CreateJob glue:CreateTrigger", "glue", "glue-004"),
    _m("glue:UpdateJob glue:StartJobRun", "glue", "glue-005"),
    _m("glue:UpdateJob glue:CreateTrigger", "glue", "glue-006"),
    _m("glue:CreateSession glue:RunStatement", "glue", "glue-007"),
    _m("cloudformation:CreateStack", "cloudformation", "cloudformation-001 Rhino PMapper"),
    _m(
        "cloudformation:CreateStackSet cloudformation:CreateStackInstances",
        "cloudformation",
        "cloudformation-003",
    ),
    _m("cloudformation:UpdateStackSet", "cloudformation", "cloudformation-004"),
    _m(
        "datapipeline:CreatePipeline datapipeline:PutPipelineDefinition "
        "datapipeline:ActivatePipeline",
        "datapipeline ec2",
        "datapipeline-001 Rhino PMapper",
    ),
    _m("codebuild:CreateProject codebuild:StartBuild", "codebuild", "codebuild-001 PMapper"),
    _m("codebuild:CreateProject codebuild:StartBuildBatch", "codebuild", "codebuild-004"),
    _m("codebuild:UpdateProject codebuild:StartBuild", "codebuild", "PMapper"),
    _m("sagemaker:CreateNotebookInstance", "sagemaker", "sagemaker-001 PMapper"),
    _m("sagemaker:CreateTrainingJob", "sagemaker", "sagemaker-002 PMapper"),
    _m("sagemaker:CreateProcessingJob", "sagemaker", "sagemaker-003 PMapper"),
    _m("ecs:RunTask", "ecs-tasks", "ecs-002 ecs-004 ecs-008 PMapper"),
    _m("ecs:StartTask", "ecs-tasks", "ecs-005 ecs-007 ecs-009"),
    _m("ecs:RegisterTaskDefinition ecs:CreateService", "ecs-tasks", "ecs-001 ecs-003"),
    _m(
        "batch:CreateComputeEnvironment batch:CreateJobQueue batch:RegisterJobDefinition "
        "batch:SubmitJob",
        "ecs-tasks",
        "batch-003",
    ),
    _m("batch:RegisterJobDefinition batch:SubmitJob", "batch ecs-tasks", "batch-001"),
    _m("apprunner:CreateService", "tasks.apprunner", "apprunner-001"),
    _m(
        "bedrock-agentcore:CreateCodeInterpreter bedrock-agentcore:StartCodeInterpreterSession "
        "bedrock-agentcore:InvokeCodeInterpreter",
        "bedrock-agentcore",
        "bedrock-001",
    ),
    _m(
        "bedrock-agentcore:CreateHarness bedrock-agentcore:CreateAgentRuntime "
        "bedrock-agentcore:CreateAgentRuntimeEndpoint bedrock-agentcore:CreateWorkloadIdentity "
        "bedrock-agentcore:GetAgentRuntime bedrock-agentcore:GetHarness "
        "bedrock-agentcore:InvokeAgentRuntimeCommand",
        "bedrock-agentcore",
        "bedrock-005",
    ),
    _m(
        "bedrock-agentcore:CreateAgentRuntime bedrock-agentcore:CreateAgentRuntimeEndpoint "
        "bedrock-agentcore:CreateWorkloadIdentity bedrock-agentcore:InvokeAgentRuntimeCommand",
        "bedrock-agentcore",
        "bedrock-003",
    ),
    _m(
        "bedrock-agentcore:CreateBrowser bedrock-agentcore:StartBrowserSession "
        "bedrock-agentcore:ConnectBrowserAutomationStream",
        "bedrock-agentcore",
        "bedrock-006",
    ),
    _m("airflow:CreateEnvironment", "airflow airflow-env", "mwaa-001"),
    _m("braket:CreateJob", "braket", "braket-001"),
    _m(
        "emr-serverless:CreateApplication emr-serverless:StartJobRun",
        "emr-serverless",
        "emrserverless-001",
    ),
    # The catalogue has the fleet role trust ec2; AWS's GameLift guide has it trust gamelift.
    _m(
        "gamelift:CreateBuild gamelift:RequestUploadCredentials gamelift:CreateFleet",
        "gamelift ec2",
        "gamelift-001",
    ),
    _m(
        "imagebuilder:CreateComponent imagebuilder:CreateImageRecipe "
        "imagebuilder:CreateInfrastructureConfiguration imagebuilder:CreateImage",
        "ec2",
        "imagebuilder-001",
    ),
    _m(
        "kinesisanalytics:CreateApplication kinesisanalytics:StartApplication",
        "kinesisanalytics",
        "kinesisanalytics-001",
    ),
    # The catalogue also lists s3:GetObject (to read the role's credentials back from a
    # bucket): the run can write them to a bucket outside the account, so it is not needed.
    _m("omics:CreateWorkflow omics:StartRun", "omics", "omics-001"),
    _m("ssm:CreateDocument ssm:StartAutomationExecution", "ssm", "ssm-003"),
    # The role is bound to an identity pool's unauthenticated identities: anyone on the
    # internet then gets its credentials. The role trusts Cognito as a web identity
    # (graph.py indexes Federated principals for that), and the pool must already exist.
    _m(
        "cognito-identity:SetIdentityPoolRoles",
        "cognito-identity",
        "cognitoidentity-001",
        needs="an identity pool that admits unauthenticated identities exists",
    ),
)

EXISTING_COMPUTE_METHODS: tuple[ComputeMethod, ...] = (
    _m("lambda:UpdateFunctionCode", "lambda", "lambda-003 lambda-004 lambda-005 Rhino PMapper"),
    _m("glue:UpdateDevEndpoint", "glue", "glue-002 Rhino PMapper"),
    _m("ssm:SendCommand", "ec2", "ssm-002 PMapper"),
    _m("ssm:StartSession", "ec2", "ssm-001 PMapper"),
    _m("ec2-instance-connect:SendSSHPublicKey", "ec2", "ec2-003"),
    _m("ec2-instance-connect:SendSerialConsoleSSHPublicKey", "ec2"),
    _m("ec2:ModifyInstanceAttribute ec2:StopInstances ec2:StartInstances", "ec2", "ec2-002"),
    _m("ec2:CreateLaunchTemplateVersion ec2:ModifyLaunchTemplate", "ec2", "ec2-005"),
    _m("sagemaker:CreatePresignedNotebookInstanceUrl", "sagemaker", "sagemaker-004"),
    _m(
        "sagemaker:CreateNotebookInstanceLifecycleConfig sagemaker:StopNotebookInstance "
        "sagemaker:UpdateNotebookInstance sagemaker:StartNotebookInstance",
        "sagemaker",
        "sagemaker-005",
    ),
    _m("codebuild:StartBuild", "codebuild", "codebuild-002 PMapper"),
    _m("codebuild:StartBuildBatch", "codebuild", "codebuild-003"),
    _m("cloudformation:UpdateStack", "cloudformation", "cloudformation-002 PMapper"),
    _m(
        "cloudformation:CreateChangeSet cloudformation:ExecuteChangeSet",
        "cloudformation",
        "cloudformation-005 PMapper",
    ),
    _m("ecs:ExecuteCommand ecs:DescribeTasks", "ecs-tasks", "ecs-006"),
    _m("apprunner:UpdateService", "tasks.apprunner", "apprunner-002"),
    _m(
        "bedrock-agentcore:StartCodeInterpreterSession bedrock-agentcore:InvokeCodeInterpreter",
        "bedrock-agentcore",
        "bedrock-002",
    ),
    _m("airflow:UpdateEnvironment airflow:CreateCliToken", "airflow airflow-env", "mwaa-002"),
    _m(
        "batch:SubmitJob", "ecs-tasks", "batch-002", needs="a Batch job definition runs as the role"
    ),
    _m(
        "bedrock-agentcore:InvokeAgentRuntimeCommand",
        "bedrock-agentcore",
        "bedrock-004",
        needs="an AgentCore runtime or harness runs as the role",
    ),
    _m(
        "bedrock-agentcore:StartBrowserSession bedrock-agentcore:ConnectBrowserAutomationStream",
        "bedrock-agentcore",
        "bedrock-007",
        needs="an AgentCore browser runs as the role",
    ),
    _m(
        "codedeploy:RegisterApplicationRevision codedeploy:CreateDeployment "
        "codedeploy:GetDeploymentConfig",
        "ec2",
        "codedeploy-001",
        needs="a CodeDeploy deployment group targets instances running as the role",
    ),
)

# Acting on another principal's credentials or trust (targets are users or roles).
CREDENTIAL_ACTIONS = ("iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile")
ASSUME = "sts:AssumeRole"
UPDATE_TRUST = "iam:UpdateAssumeRolePolicy"
PASS_ROLE = "iam:PassRole"

# Rewriting what a principal may do (all aimed at the principal, its groups or its policies).
USER_POLICY_ACTIONS = ("iam:AttachUserPolicy", "iam:PutUserPolicy")
GROUP_POLICY_ACTIONS = ("iam:AttachGroupPolicy", "iam:PutGroupPolicy")
ROLE_POLICY_ACTIONS = ("iam:AttachRolePolicy", "iam:PutRolePolicy")
POLICY_VERSION_ACTIONS = ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion")
BOUNDARY_ACTIONS = {
    "user": ("iam:DeleteUserPermissionsBoundary", "iam:PutUserPermissionsBoundary"),
    "role": ("iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary"),
}
ADD_TO_GROUP = "iam:AddUserToGroup"


def _all_actions() -> frozenset[str]:
    names = {a for m in (*PASS_ROLE_METHODS, *EXISTING_COMPUTE_METHODS) for a in m.actions}
    names |= {*CREDENTIAL_ACTIONS, ASSUME, UPDATE_TRUST, PASS_ROLE, ADD_TO_GROUP}
    names |= {*USER_POLICY_ACTIONS, *GROUP_POLICY_ACTIONS, *ROLE_POLICY_ACTIONS}
    names |= {*POLICY_VERSION_ACTIONS, *BOUNDARY_ACTIONS["user"], *BOUNDARY_ACTIONS["role"]}
    names |= {"iam:DeleteAccessKey"}
    return frozenset(n.lower() for n in names)


# Every action an edge may ask about: what a principal holds of them is computed once.
ALL_ACTIONS = _all_actions()
