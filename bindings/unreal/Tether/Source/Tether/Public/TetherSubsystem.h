// One Tether client per game instance. It pumps the native client every
// tick (also while paused, so acks and state changes never pile up) and
// turns each event into a Blueprint-assignable delegate broadcast on the
// game thread. When a mobile app returns to the foreground it calls
// tether_client_reconnect_now (see the plugin README, "Mobile lifecycle").
#pragma once

#include <atomic>

#include "CoreMinimal.h"
#include "Subsystems/GameInstanceSubsystem.h"
#include "Tickable.h"
#include "TetherTypes.h"
#include "TetherSubsystem.generated.h"

struct tether_client;
struct tether_event;

DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FTetherStateChangedSignature, const FTetherStateChange&, Change);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FTetherMessageSignature, const FTetherMessage&, Message);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FTetherAckedSignature, int64, MessageId);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FTetherSendFailedSignature, int64, MessageId, ETetherSendOutcome, Outcome);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FTetherAuthenticatedSignature, const FTetherAuthInfo&, Info);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FTetherProblemSignature, const FTetherProblem&, Problem);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FTetherPermissionDeniedSignature, const FTetherPermissionDenied&, Denied);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FTetherChannelSignature, const FString&, Channel);

UCLASS()
class TETHER_API UTetherSubsystem : public UGameInstanceSubsystem, public FTickableGameObject
{
	GENERATED_BODY()

public:
	// Creates the client and starts connecting (replacing any earlier one).
	// Channels subscribed before this call are not kept: subscribe after it.
	// Returns false with GetLastError() for an invalid url or settings, or
	// when libtether is not available (IsLibraryAvailable()).
	UFUNCTION(BlueprintCallable, Category = "Tether")
	bool Connect(const FString& Url, const FString& Token, const FTetherSettings& Settings);

	// Closes with code 1000; pending reliable sends fail with Closed. Connect() starts over.
	UFUNCTION(BlueprintCallable, Category = "Tether")
	void Disconnect();

	// Unreliable publish: at most once, lost if the connection drops.
	UFUNCTION(BlueprintCallable, Category = "Tether")
	bool Send(const FString& Channel, const FString& Json);

	// Reliable publish: retried across reconnects until OnAcked or OnSendFailed
	// reports MessageId.
	UFUNCTION(BlueprintCallable, Category = "Tether")
	bool SendReliable(const FString& Channel, const FString& Json, int64& MessageId);

	// Publishes bytes in any format of the game's, never parsed; they arrive
	// as an OnMessage with bBinary set. bReliable: as SendReliable, else as
	// Send (MessageId 0). Returns false (UNSUPPORTED) while connected to a
	// server older than binary payloads.
	UFUNCTION(BlueprintCallable, Category = "Tether")
	bool SendBytes(const FString& Channel, const TArray<uint8>& Data, bool bReliable, int64& MessageId);

	UFUNCTION(BlueprintCallable, Category = "Tether")
	bool Subscribe(const FString& Channel);

	UFUNCTION(BlueprintCallable, Category = "Tether")
	bool Unsubscribe(const FString& Channel);

	// A fresh token, e.g. after OnTokenExpiring or when Unauthorized.
	UFUNCTION(BlueprintCallable, Category = "Tether")
	bool SetToken(const FString& Token);

	UFUNCTION(BlueprintPure, Category = "Tether")
	ETetherState GetState() const { return State; }

	// False when the native library could not be loaded (Windows, Mac: e.g. a
	// missing tether.dll; see the log and GetLastError() after Connect) or
	// does not match the plugin. Every call then fails or does nothing.
	UFUNCTION(BlueprintPure, Category = "Tether")
	bool IsLibraryAvailable() const;

	// Why the last call returned false.
	UFUNCTION(BlueprintPure, Category = "Tether")
	FString GetLastError() const { return LastError; }

	UFUNCTION(BlueprintCallable, Category = "Tether")
	FTetherStats GetStats() const;

	UPROPERTY(BlueprintAssignable, Category = "Tether") FTetherStateChangedSignature OnStateChanged;
	UPROPERTY(BlueprintAssignable, Category = "Tether") FTetherMessageSignature OnMessage;
	UPROPERTY(BlueprintAssignable, Category = "Tether") FTetherAckedSignature OnAcked;
	UPROPERTY(BlueprintAssignable, Category = "Tether") FTetherSendFailedSignature OnSendFailed;
	UPROPERTY(BlueprintAssignable, Category = "Tether") FTetherAuthenticatedSignature OnAuthenticated;
	UPROPERTY(BlueprintAssignable, Category = "Tether") FTetherProblemSignature OnAuthFailed;
	UPROPERTY(BlueprintAssignable, Category = "Tether") FTetherProblemSignature OnTokenExpiring;
	UPROPERTY(BlueprintAssignable, Category = "Tether") FTetherPermissionDeniedSignature OnPermissionDenied;
	UPROPERTY(BlueprintAssignable, Category = "Tether") FTetherChannelSignature OnSubscribed;
	// Protocol complaints and transport failures (bTransport), e.g. TLS errors.
	UPROPERTY(BlueprintAssignable, Category = "Tether") FTetherProblemSignature OnError;

	// UGameInstanceSubsystem
	virtual void Initialize(FSubsystemCollectionBase& Collection) override;
	virtual void Deinitialize() override;

	// FTickableGameObject
	virtual void Tick(float DeltaTime) override;
	virtual TStatId GetStatId() const override;
	virtual ETickableTickType GetTickableTickType() const override;
	virtual bool IsTickable() const override;
	virtual bool IsTickableWhenPaused() const override { return true; }
	virtual bool IsTickableInEditor() const override { return false; }

private:
	// False, with LastError set, when libtether must not be called
	// (FTetherModule::IsAvailable()); no tether_* call may precede it.
	bool RequireLibrary();
	bool Check(int32 Result);
	void DestroyClient();
	void Dispatch(const tether_event& Event);
	// FCoreDelegates: back in the foreground (iOS, Android) or reactivated.
	void HandleAppResumed();

	tether_client* Client = nullptr;
	ETetherState State = ETetherState::Idle;
	FString LastError;
	FDelegateHandle ForegroundHandle;
	FDelegateHandle ReactivatedHandle;
	std::atomic<bool> bResumePending{false};  // set by HandleAppResumed on any thread, cleared by Tick
};
