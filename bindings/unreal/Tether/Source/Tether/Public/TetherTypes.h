// Blueprint-facing mirrors of tether.h's states and events. The subsystem
// copies each native event into these, so they stay valid after the tick.
#pragma once

#include "CoreMinimal.h"
#include "TetherTypes.generated.h"

UENUM(BlueprintType)
enum class ETetherState : uint8
{
	Idle,
	Connecting,
	Authenticating,
	Ready,
	Reconnecting,
	Closed,
	GaveUp,
	Unauthorized
};

UENUM(BlueprintType)
enum class ETetherSendOutcome : uint8
{
	Acked,
	TimedOut,
	Closed,
	Cancelled,
	PermissionDenied,
	Overflow,
	TooLarge,  // the server refused it as larger than its limits; never resent
	Unsupported  // bytes (SendBytes) queued while offline; the server it reached does not take binary
};

USTRUCT(BlueprintType)
struct FTetherSettings
{
	GENERATED_BODY()

	// 0 keeps the library default documented in tether.h.
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tether") int32 PoolSize = 0;
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tether") int32 HeartbeatIntervalMs = 0;
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tether") int32 HeartbeatTimeoutMs = 0;
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tether") int32 BackoffInitialMs = 0;
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tether") int32 BackoffMaxMs = 0;
	// Consecutive failed reconnect attempts before the client stops trying
	// (state GaveUp). 0 (or less) = the library default, 10 (tether.h's
	// backoff_max_attempts). To keep trying forever, set Never Give Up.
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tether", meta = (ClampMin = "0", EditCondition = "!bNeverGiveUp"))
	int32 BackoffMaxAttempts = 0;
	// Keep reconnecting forever (tether.h: backoff_max_attempts = 0); Backoff
	// Max Attempts is then ignored. Off by default, like the library.
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tether") bool bNeverGiveUp = false;
	// Bytes held by events waiting for the next tick (channel, payload, text),
	// >= 65536; at the limit inbound messages wait (reliable) or drop. 0 = default (16 MiB).
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tether") int64 MaxPendingEventBytes = 0;
	// Extra trusted CA certificates (PEM text), e.g. for a staging server.
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tether") FString TlsCaPem;
	// Off only for local tests: turns off certificate and host name checks.
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "Tether") bool bVerifyTls = true;
};

USTRUCT(BlueprintType)
struct FTetherStateChange
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "Tether") ETetherState State = ETetherState::Idle;
	UPROPERTY(BlueprintReadOnly, Category = "Tether") int32 Connection = 0;
	// Reconnecting: consecutive failed attempts, and the wait before the next one.
	UPROPERTY(BlueprintReadOnly, Category = "Tether") int32 Attempt = 0;
	UPROPERTY(BlueprintReadOnly, Category = "Tether") int64 DelayMs = 0;
	// The close that led to Reconnecting/Closed/GaveUp/Unauthorized.
	UPROPERTY(BlueprintReadOnly, Category = "Tether") int32 CloseCode = 0;
	UPROPERTY(BlueprintReadOnly, Category = "Tether") FString Reason;
	// Ready: the server kept the session; nothing was lost or repeated.
	UPROPERTY(BlueprintReadOnly, Category = "Tether") bool bResumed = false;
};

USTRUCT(BlueprintType)
struct FTetherMessage
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "Tether") FString Channel;
	UPROPERTY(BlueprintReadOnly, Category = "Tether") FString Json;
	UPROPERTY(BlueprintReadOnly, Category = "Tether") bool bReliable = false;
	UPROPERTY(BlueprintReadOnly, Category = "Tether") int64 TimestampMs = 0;
	UPROPERTY(BlueprintReadOnly, Category = "Tether") int32 Connection = 0;
	// Sent with SendBytes: the payload is Bytes (any byte values) and Json is empty.
	UPROPERTY(BlueprintReadOnly, Category = "Tether") bool bBinary = false;
	UPROPERTY(BlueprintReadOnly, Category = "Tether") TArray<uint8> Bytes;
};

USTRUCT(BlueprintType)
struct FTetherProblem
{
	GENERATED_BODY()

	// e.g. "tls_verify_failed", "token_expired", "malformed"
	UPROPERTY(BlueprintReadOnly, Category = "Tether") FString Code;
	UPROPERTY(BlueprintReadOnly, Category = "Tether") FString Reason;
	UPROPERTY(BlueprintReadOnly, Category = "Tether") bool bTransport = false;
	UPROPERTY(BlueprintReadOnly, Category = "Tether") int32 Connection = 0;
};

USTRUCT(BlueprintType)
struct FTetherPermissionDenied
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "Tether") FString Channel;
	UPROPERTY(BlueprintReadOnly, Category = "Tether") FString Action;  // "publish" or "subscribe"
	UPROPERTY(BlueprintReadOnly, Category = "Tether") int64 MessageId = 0;  // a refused reliable send, else 0
	UPROPERTY(BlueprintReadOnly, Category = "Tether") FString Reason;
};

USTRUCT(BlueprintType)
struct FTetherAuthInfo
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "Tether") FString UserId;
	UPROPERTY(BlueprintReadOnly, Category = "Tether") TArray<FString> Permissions;
	UPROPERTY(BlueprintReadOnly, Category = "Tether") int64 ExpiresAtMs = 0;
	UPROPERTY(BlueprintReadOnly, Category = "Tether") bool bResumed = false;
};

USTRUCT(BlueprintType)
struct FTetherStats
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "Tether") int64 MessagesSent = 0;
	UPROPERTY(BlueprintReadOnly, Category = "Tether") int64 MessagesReceived = 0;
	UPROPERTY(BlueprintReadOnly, Category = "Tether") int64 PendingAcks = 0;
	UPROPERTY(BlueprintReadOnly, Category = "Tether") int64 Queued = 0;
	UPROPERTY(BlueprintReadOnly, Category = "Tether") int64 Reconnects = 0;
	UPROPERTY(BlueprintReadOnly, Category = "Tether") float RttMs = 0;
};
